"""benchmarks/harness.py `run_until_saved`: a Ctrl-C (or SIGTERM) to the harness reaches its training run
once, and the harness waits for the run to save its checkpoint before it stops."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# A stand-in for a training run: on its first SIGINT it finishes "the iteration" (0.5 s) and saves; a second
# signal before that would abort it without saving (as textgan.train does).
CHILD = """
import signal, sys, time
from pathlib import Path
out = Path(sys.argv[1])
got = []
def on_signal(signum, frame):
    if got:
        raise SystemExit(99)
    got.append(signum)
signal.signal(signal.SIGINT, on_signal)
(out / "ready").write_text("")
while not got:
    time.sleep(0.02)
time.sleep(0.5)
(out / "saved").write_text("")
sys.exit(130)
"""

# the harness: a Ctrl-C in a terminal signals its whole process group, the harness included
PARENT = """
import sys
sys.path.insert(0, sys.argv[1])
from benchmarks.harness import run_until_saved
try:
    run_until_saved([sys.executable, "-c", sys.argv[2], sys.argv[3]], sys.stdout)
except KeyboardInterrupt:
    sys.exit(42)
"""


def test_an_interrupt_lets_the_run_save_before_the_harness_stops(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(REPO), CHILD, str(tmp_path)],
                              start_new_session=True)  # its own group: the signal below reaches it alone
    deadline = time.monotonic() + 60
    while not (tmp_path / "ready").exists():
        assert time.monotonic() < deadline and parent.poll() is None, "the child did not start"
        time.sleep(0.02)
    parent.send_signal(signal.SIGINT)
    assert parent.wait(timeout=60) == 42  # the harness stopped after its child ...
    assert (tmp_path / "saved").exists()  # ... which got exactly one signal and saved
