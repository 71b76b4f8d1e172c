"""`python -m services.chat`: the chat service alone, exactly as `comptoir serve chat` runs it
(uvloop, the start-up heap frozen once running, SIGINT/SIGTERM handled)."""

import sys

from libs.common.cli import main

if __name__ == "__main__":
    sys.exit(main(["serve", "chat"]))
