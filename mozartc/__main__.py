"""``python -m mozartc`` runs the command line."""

import sys

from mozartc.cli import main

sys.exit(main())
