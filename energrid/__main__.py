"""`python -m energrid`."""

import sys

from energrid.cli import main

sys.exit(main())
