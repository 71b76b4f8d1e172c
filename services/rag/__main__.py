"""`python -m services.rag`: the rag service alone, exactly as `comptoir serve rag` runs it
(uvloop, the start-up heap frozen once running, SIGINT/SIGTERM handled)."""

import sys

from libs.common.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", "rag"]))
