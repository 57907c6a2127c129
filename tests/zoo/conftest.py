"""Makes the shared model checks importable as ``model_checks`` from every zoo test."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
