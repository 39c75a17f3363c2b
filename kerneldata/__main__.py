"""`python -m kerneldata` is the `kerneldata` command."""

import sys

from kerneldata.cli import main

if __name__ == "__main__":
    sys.exit(main())
