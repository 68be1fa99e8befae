"""The ``graphcompat`` command line."""

from __future__ import annotations

import sys

from graphcompat.cli import main

if __name__ == "__main__":
    sys.exit(main())
