"""`python -m services.agents`: the agents service alone, exactly as `comptoir serve agents` runs it."""

import sys

from libs.common.service import ServiceApp
from libs.common.serving import main_for_service


def _load() -> ServiceApp:
    from services.agents.app import svc

    return svc


if __name__ == "__main__":
    sys.exit(main_for_service(_load))
