"""``python -m sidecar``: run the memory daemon in the foreground."""

import sys

from sidecar.process.daemon import main

if __name__ == "__main__":
    sys.exit(main())
