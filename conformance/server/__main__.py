"""``python -m conformance.server --host 127.0.0.1 --port 8000 --key KEY``."""

import sys

from .run import main

sys.exit(main())
