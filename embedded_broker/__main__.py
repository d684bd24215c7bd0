"""``python -m embedded_broker``: the same as ``ensign-broker``."""

import sys

from embedded_broker.cli import main

sys.exit(main())
