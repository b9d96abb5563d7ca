"""dropout-risk: a dropout early-warning service for compulsory education."""

import os

# Before anything loads OpenMP: waiting threads sleep (see training/__init__.py for why).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
