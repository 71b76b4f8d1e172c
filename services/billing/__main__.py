"""`python -m services.billing`: the billing service alone, exactly as `comptoir serve billing` runs it
(uvloop, the start-up heap frozen once running, SIGINT/SIGTERM handled)."""

import sys

from libs.common.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", "billing"]))
