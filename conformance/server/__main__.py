"""``python -m conformance.server``: the same command as ``mimo-conformance serve``."""

import sys

from .run import main

sys.exit(main())
