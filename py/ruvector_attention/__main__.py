"""``python -m ruvector_attention <command>``: see cli.py."""

import sys

from .cli import main

sys.exit(main())
