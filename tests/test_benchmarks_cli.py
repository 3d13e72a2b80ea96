"""`make bench` arguments: a bad value is one usage line and exit status 2, before any work."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("argument", [["--repeat", "0"], ["--batch", "0"], ["--rows", "1"], ["--repeat", "x"]])
def test_a_bad_benchmark_argument_is_one_line_and_status_2(argument):
    done = subprocess.run([sys.executable, "-m", "benchmarks", *argument], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stdout == ""  # nothing measured
    error = done.stderr.strip().splitlines()[-1]
    assert error.startswith("python -m benchmarks: error:") and argument[0] in error
