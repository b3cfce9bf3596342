"""Training on a shared machine: the busy process is bounded and stopped, steps are timed, and
the OpenMP wait setting is in place before torch loads."""

import os
import subprocess
import sys
import time

import psutil
import pytest

from tutorial_lib.analysis.shared_machine import one_core_busy, seconds_per_step
from tutorial_lib.errors import BadInputError


def test_the_library_sets_a_short_openmp_spin_before_torch_loads():
    probe = "import tutorial_lib, os; print(os.environ['GOMP_SPINCOUNT'])"
    env = {k: v for k, v in os.environ.items() if k != "GOMP_SPINCOUNT"}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env=env, check=True)
    assert int(result.stdout) <= 1000
    env["GOMP_SPINCOUNT"] = "12345"  # a user's own setting wins
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env=env, check=True)
    assert result.stdout.strip() == "12345"


def test_busy_process_runs_inside_the_block_and_stops_after_it():
    me = psutil.Process()
    with one_core_busy(limit=30):
        (child,) = me.children()
        time.sleep(0.5)
        # it spins: a sleeping process would show 0; the bar is low so a loaded machine passes
        assert child.cpu_percent(interval=0.5) > 10
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE


def test_busy_process_ends_by_itself_at_its_limit():
    with one_core_busy(limit=0.2):
        (child,) = psutil.Process().children()
        child.wait(timeout=10)


def test_captioner_steps_are_timed():
    assert 0 < seconds_per_step("captioner", steps=2) < 10


def test_bad_inputs_raise_one_clear_error():
    with pytest.raises(BadInputError, match="unknown model 'gan'"):
        seconds_per_step("gan")
    with pytest.raises(BadInputError, match="steps"):
        seconds_per_step("captioner", steps=0)
