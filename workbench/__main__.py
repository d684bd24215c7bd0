"""``python -m workbench``: the same as ``ensign-workbench``."""

import sys

from workbench.app import main

sys.exit(main())
