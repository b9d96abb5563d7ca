"""OpenMP threads wait asleep (OMP_WAIT_POLICY=PASSIVE) unless the environment says otherwise.

Spinning threads made one LightGBM fit ten times slower on the shared 2-core machine
(BENCHMARKS.md, "Training time with all candidates"). The policy is read once, when the
OpenMP runtime loads, so importing either package must set it before lightgbm or sklearn.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = "import {package}, os, sys; sys.stdout.write(os.environ.get('OMP_WAIT_POLICY', '-'))"


@pytest.mark.parametrize("package", ["training", "dropout_risk"])
def test_importing_the_package_makes_waiting_threads_sleep(package: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    probe = PROBE.format(package=package)
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert out.stdout == "PASSIVE", out.stderr
    env["OMP_WAIT_POLICY"] = "ACTIVE"  # a machine of one's own may want spinning back
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert out.stdout == "ACTIVE", out.stderr
