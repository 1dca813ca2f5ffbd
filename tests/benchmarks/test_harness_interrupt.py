"""benchmarks/harness.py `run_until_saved`: an interrupt of the harness (Ctrl-C, or SIGTERM to the harness
alone or to every process of the job) lets its training run save a checkpoint before the harness stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# A stand-in for a training run, with textgan.guards.GracefulStop's rules: the first SIGINT or SIGTERM asks
# it to finish "the iteration" (0.5 s) and save; another SIGTERM repeats the request, a SIGINT after it aborts.
CHILD = """
import os, signal, sys, time
from pathlib import Path
out = Path(sys.argv[1])
got = []
def on_signal(signum, frame):
    if got and signum == signal.SIGINT:
        raise SystemExit(99)
    got.append(signum)
for s in (signal.SIGINT, signal.SIGTERM):
    signal.signal(s, on_signal)
(out / "ready").write_text(str(os.getpid()))
while not got:
    time.sleep(0.02)
time.sleep(0.5)
(out / "saved").write_text("")
sys.exit(128 + got[0])
"""

# the harness, as run_grid.py runs it (SIGTERM raised as KeyboardInterrupt)
PARENT = """
import signal, sys
sys.path.insert(0, sys.argv[1])
from benchmarks.harness import run_until_saved
def stop(signum, frame):
    raise KeyboardInterrupt
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C from a terminal, even where the tests run in a
try:                                                       # background job, whose SIGINT is ignored (inherited)
    run_until_saved([sys.executable, "-c", sys.argv[2], sys.argv[3]], sys.stdout)
except KeyboardInterrupt:
    sys.exit(42)
"""


@pytest.mark.parametrize("signals", ["ctrl_c_to_the_harness", "sigterm_to_the_harness", "sigterm_to_both"])
def test_an_interrupt_lets_the_run_save_before_the_harness_stops(tmp_path, signals):
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(REPO), CHILD, str(tmp_path)],
                              start_new_session=True)  # its own group: the signals below reach whom they name
    deadline = time.monotonic() + 60
    while not (tmp_path / "ready").exists() or not (tmp_path / "ready").read_text():
        assert time.monotonic() < deadline and parent.poll() is None, "the child did not start"
        time.sleep(0.02)
    child = int((tmp_path / "ready").read_text())
    if signals == "ctrl_c_to_the_harness":
        parent.send_signal(signal.SIGINT)
    elif signals == "sigterm_to_the_harness":
        parent.send_signal(signal.SIGTERM)
    else:  # a service manager stopping the job signals every process of it
        os.kill(child, signal.SIGTERM)
        parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=60) == 42  # the harness stopped after its child ...
    assert (tmp_path / "saved").exists()  # ... which saved instead of aborting
