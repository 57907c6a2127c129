"""Makes the shared layer-test harness importable as ``harness`` from every layer test."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
