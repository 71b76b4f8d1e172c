"""`python -m comptoir …` is the `comptoir` command."""

import sys

from comptoir.cli import main

if __name__ == "__main__":
    sys.exit(main())
