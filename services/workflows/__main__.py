"""`python -m services.workflows`: the workflows service alone, exactly as `comptoir serve workflows` runs it
(libs.common.serving: uvloop, the start-up heap frozen once running, SIGINT/SIGTERM handled)."""

import sys

from libs.common.service import ServiceApp
from libs.common.serving import main_for_service


def _load() -> ServiceApp:
    from services.workflows.app import svc

    return svc


if __name__ == "__main__":
    sys.exit(main_for_service(_load))
