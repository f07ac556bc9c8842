"""`python -m cx_assets.emulator --port N`."""

import sys

from cx_assets.emulator.cli import main

sys.exit(main())
