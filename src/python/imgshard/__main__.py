"""`python3 -m imgshard inspect OUT.h5 [--json]` (see imgshard.cli)."""
import sys

from .cli import main

sys.exit(main())
