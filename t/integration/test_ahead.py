"""Runs handed to the spawn helper ahead of time are taken back when
something decides differently before they start.

A service with no dependencies whose next check is due within 5 s has
that check handed to the spawn helper as soon as its result is in,
with its start time (README, "Scheduling").  Whatever changes whether
or how it runs must take it back: disabling the service, host or
watch, mon's "stop", a reload with new monitor arguments, and
"test monitor" (which runs it at once instead).  Each case acts right
after a check, so the check handed over is a whole interval away: one
that were not taken back would start in the window the test watches.
"""
import os
import signal
import time

import pytest

from conftest import build_path, wait_until
from test_control import MONCMD, Server

MOND = build_path("mond")

pytestmark = [
    pytest.mark.skipif(not os.path.exists(MOND), reason="mond not built"),
    pytest.mark.skipif(not os.path.exists(MONCMD),
                       reason="moncmd missing (Debian package mon-client)"),
]

ALICE = ("alice", "secret")

# Appends "start-time args..." for every run.
ARGS_MONITOR = ("#!/bin/sh\n"
                "echo \"$(date +%s.%N) $*\" >> \"$(dirname \"$0\")/../args\"\n"
                "echo fine\nexit 0\n")

CF = """\
hostgroup solo h9

watch solo
    service count
        interval INTERVAL
        monitor args.monitor ARG
        period wd {Sun-Sat}
            alert rec.alert REC
"""


def make(tmp_path, interval="2s", arg="one"):
    s = Server(str(tmp_path), "mond",
               cf=CF.replace("INTERVAL", interval).replace("ARG", arg))
    s.write("mon.d/args.monitor", ARGS_MONITOR, 0o755)
    with open(s.path("auth.cf")) as f:
        auth = f.read()
    s.write("auth.cf", auth.replace("term: all\n",
                                    "term: all\nstop: all\nstart: all\n"))
    return s


def runs(s):
    """[(start time, [args...]), ...] in the order they ran."""
    try:
        with open(s.path("args")) as f:
            out = []
            for line in f:
                p = line.split()
                if p:
                    out.append((float(p[0]), p[1:]))
            return out
    except FileNotFoundError:
        return []


def right_after_a_run(s, n_before=2):
    """Wait for n_before runs and then for the next one; return the time
    it started.  The check after it is handed over a moment later."""
    wait_until(lambda: len(runs(s)) >= n_before, timeout=20,
               what=f"{n_before} checks")
    n = len(runs(s))
    wait_until(lambda: len(runs(s)) > n, timeout=20, what="one more check")
    # its result reaches mond at the latest 50 ms later; then it is
    # handed over
    time.sleep(0.3)
    return runs(s)[-1][0]


@pytest.fixture
def srv(tmp_path):
    started = []

    def start(**kw):
        s = make(tmp_path, **kw).start()
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()
        assert "Sanitizer" not in s.log(), s.log()


def test_disable_service_takes_back_the_next_run(srv):
    s = srv()
    last = right_after_a_run(s)
    out = s.moncmd("disable", "service", "solo", "count", login=ALICE)
    assert out.splitlines()[-1].startswith("220"), out
    n = len(runs(s))
    # The run handed over was due 2 s after the last one: watch 3 s.
    time.sleep(3.0)
    assert len(runs(s)) == n, runs(s)[n:]
    out = s.moncmd("enable", "service", "solo", "count", login=ALICE)
    assert out.splitlines()[-1].startswith("220"), out
    wait_until(lambda: len(runs(s)) > n, timeout=10,
               what="checks again after enable")
    assert runs(s)[n][0] > last + 3.0


def test_disable_host_and_stop_take_back_the_next_run(srv):
    s = srv()
    right_after_a_run(s)
    # the only host of the group: mon disables the watch with it
    out = s.moncmd("disable", "host", "h9", login=ALICE)
    assert out.splitlines()[-1].startswith("220"), out
    n = len(runs(s))
    time.sleep(3.0)
    assert len(runs(s)) == n, runs(s)[n:]
    s.moncmd("enable", "host", "h9", login=ALICE)
    wait_until(lambda: len(runs(s)) > n, timeout=10, what="checks again")

    # mon's "stop": no check starts until "start"
    right_after_a_run(s, n_before=0)
    out = s.moncmd("stop", login=ALICE)
    assert out.splitlines()[-1].startswith("220"), out
    n = len(runs(s))
    time.sleep(3.0)
    assert len(runs(s)) == n, runs(s)[n:]
    s.moncmd("start", login=ALICE)
    wait_until(lambda: len(runs(s)) > n, timeout=10, what="checks again")


def test_test_monitor_runs_at_once(srv):
    s = srv(interval="4s")
    last = right_after_a_run(s)
    out = s.moncmd("test", "monitor", "solo", "count", login=ALICE)
    assert out.splitlines()[-1].startswith("220"), out
    n = len(runs(s))
    wait_until(lambda: len(runs(s)) > n, timeout=10, what="the test run")
    # at once, not at its time 4 s after the last run
    assert runs(s)[n][0] < last + 2.5, (last, runs(s)[n])
    # and then on its own schedule again, one run at a time
    wait_until(lambda: len(runs(s)) > n + 1, timeout=15, what="next check")
    assert runs(s)[n + 1][0] - runs(s)[n][0] > 3.0


def test_reload_runs_the_new_arguments(srv):
    s = srv(arg="one")
    right_after_a_run(s)
    with open(s.path("mon.cf")) as f:
        cf = f.read()
    assert "args.monitor one" in cf
    s.write("mon.cf", cf.replace("args.monitor one", "args.monitor two"))
    t = time.time()
    s.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: any(a == ["two", "h9"] for _, a in runs(s)),
               timeout=10, what="a check with the new arguments")
    late_old = [(ts, a) for ts, a in runs(s)
                if a[:1] == ["one"] and ts > t + 0.5]
    assert late_old == [], late_old
