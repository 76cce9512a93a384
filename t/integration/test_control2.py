"""mon's protocol, second part: stop/start (and mond -S, monctl
stop/start/state), test alert, ackalert and
disablealert, list failurehist, list pids, and the monitor_duration and
depstatus fields of list opstatus.

Same harness as test_control.py: a real mond and, where Debian's mon is
installed, mon on the same config on other ports; replies and the
argv/env/stdin a recording alert receives are compared with mon's.
"""
import json
import os
import re
import time

import pytest

from conftest import run, wait_until
from test_control import (AUTH, MONCTL, MOND, MONCMD, Server, need_mon,
                          parse_opstatus, send_trap, unesc)

pytestmark = [
    pytest.mark.skipif(not os.path.exists(MOND), reason="mond not built"),
    pytest.mark.skipif(not os.path.exists(MONCMD),
                       reason="moncmd missing (Debian package mon-client)"),
]

SLOW_MONITOR = "#!/bin/sh\nsleep 2\necho 'slow but fine'\nexit 0\n"

# g1/bad fails from its first run; its period has every kind of alert.
# g1/quiet fails too but alertafter holds its alerts back, so an ack has
# no down alert to pair with.  g1/dep depends on g1/bad.
CF2 = """\
hostgroup g1 localhost 127.0.0.2

hostgroup solo h9

hostgroup default x

watch g1
    service bad
        interval 1s
        monitor bad.monitor
        period wd {Sun-Sat}
            alert rec.alert REC
            alertevery 1h
            upalert rec.alert UP REC
            startupalert rec.alert START REC
            ackalert rec.alert ACK REC
            disablealert rec.alert DIS REC
        period night: hr {3am-4am}
            alert rec.alert NIGHT REC
    service quiet
        interval 1s
        monitor bad.monitor
        period wd {Sun-Sat}
            alert rec.alert REC
            alertafter 1000
            ackalert rec.alert ACK REC
    service dep
        interval 1s
        monitor ok.monitor
        depend g1:bad
        period wd {Sun-Sat}
            alert rec.alert REC
    service slow
        interval 5s
        monitor slow.monitor
        period wd {Sun-Sat}
            alert rec.alert REC

watch solo
    service count
        interval 1s
        monitor count.monitor
        period wd {Sun-Sat}
            alert rec.alert REC

watch default
    service default
        period wd {Sun-Sat}
            alert rec.alert REC
"""

ALICE = ("alice", "secret")


@pytest.fixture
def servers(tmp_path):
    started = []

    def make(kind, **kw):
        d = tmp_path / kind
        d.mkdir(exist_ok=True)
        s = Server(str(d), kind, cf=CF2, **kw)
        s.write("mon.d/slow.monitor", SLOW_MONITOR, 0o755)
        s.write("auth.cf", AUTH.replace("trap section",
                                        "stop: all\nstart: all\ntrap section"))
        started.append(s)
        return s

    yield make
    for s in started:
        s.stop()
        if s.kind == "mond":
            assert "Sanitizer" not in s.log(), s.log()


def op(srv, svc):
    return dict(parse_opstatus(srv.moncmd("list", "opstatus"))
                .get(("g1", svc), []))


def failing(srv):
    return op(srv, "bad").get("opstatus") == "0" and \
        op(srv, "quiet").get("opstatus") == "0"


def alerted(srv):
    """g1/bad failed and its first alert went out."""
    return failing(srv) and [r for r in srv.records()
                             if r["env"].get("MON_ALERTTYPE") == "failure"
                             and "NIGHT" not in r["argv"]]


def servertime(srv):
    return int(srv.moncmd("servertime").split()[0])


def shape(rec, tmp):
    """What an alert received, with paths, times and mond's -l (mon 1.3's
    code omits the -l its manual documents) taken out."""
    a = list(rec["argv"][:-1])             # the last word is the record file
    if "-l" in a:
        i = a.index("-l")
        del a[i:i + 2]
    if "-t" in a:
        a[a.index("-t") + 1] = "T"
    env = {k: rec["env"].get(k) for k in ("MON_GROUP", "MON_SERVICE",
                                          "MON_RETVAL", "MON_ALERTTYPE",
                                          "MON_OPSTATUS")}
    return a, env, rec["stdin"]


def new_records(srv, before, pred=lambda r: True):
    return [r for r in srv.records()[before:] if pred(r)]


def is_test(r):
    return r["stdin"] == "test\ntest detail\n"


TEST_STEPS = [
    ("test", "alert", "g1", "bad", "3", "wd", "{Sun-Sat}"),
    ("test", "upalert", "g1", "bad", "0", "wd", "{Sun-Sat}"),
    ("test", "startupalert", "g1", "bad", "0", "wd", "{Sun-Sat}"),
    ("test", "ackalert", "g1", "bad", "0", "wd", "{Sun-Sat}"),
    ("test", "disablealert", "g1", "bad", "0", "wd", "{Sun-Sat}"),
    ("test", "alert", "g1", "bad", "5", "night"),
    ("test", "alert", "g1", "bad", "3", "hr", "{1am}"),
    ("test", "alert", "g1", "nosuch", "3", "wd", "{Sun-Sat}"),
    ("test", "alerts", "g1", "bad", "3", "wd", "{Sun-Sat}"),
    ("test", "bogus", "g1", "bad"),
]


def test_test_alert_like_mon(servers):
    need_mon()
    mond = servers("mond").start()
    mon = servers("mon").start()
    for s in (mond, mon):
        wait_until(lambda: alerted(s), timeout=20, what=f"{s.kind} alert")
    got = {}
    for s in (mond, mon):
        n0 = len(s.records())
        replies = [s.moncmd(*cmd) for cmd in TEST_STEPS]
        # six alert lines: alert, upalert, startup, ack, disable, night
        recs = wait_until(lambda: len(new_records(s, n0, is_test)) >= 6,
                          timeout=20, what=f"{s.kind} test alerts") and \
            new_records(s, n0, is_test)
        got[s.kind] = (replies, sorted(repr(shape(r, s.tmp)) for r in recs))
    assert got["mond"][0] == got["mon"][0]
    assert got["mond"][0][:6] == ["220 test alert completed\n"] * 6
    assert got["mond"][0][6:] == ["520 period not defined\n",
                                  "520 g1 nosuch not defined\n",
                                  "220 test alert completed\n",
                                  "520 test error\n"]
    assert got["mond"][1] == got["mon"][1]
    # mond's own view of one of them, exactly
    recs = new_records(mond, 0, is_test)
    ups = [r for r in recs if "UP" in r["argv"]]
    assert len(ups) == 1 and len(recs) == 6
    a = ups[0]["argv"]
    assert a[:6] == ["-s", "bad", "-g", "g1", "-h", "localhost 127.0.0.2"]
    assert a[6] == "-t" and a[8:] == ["-l", "3600", "-u", "UP", mond.rec]
    assert ups[0]["env"]["MON_RETVAL"] == "0"
    assert ups[0]["env"]["MON_ALERTTYPE"] == "up"
    night = [r for r in recs if "NIGHT" in r["argv"]][0]
    assert night["env"]["MON_RETVAL"] == "5"
    assert night["env"]["MON_ALERTTYPE"] == "test"
    # tests are not alerts: not in the history
    hist = unesc(mond.moncmd("list", "alerthist"))
    assert "UP" not in hist and "NIGHT" not in hist and "testalert" not in hist


def test_ackalert_like_mon(servers):
    need_mon()
    mond = servers("mond").start()
    mon = servers("mon").start()
    got = {}
    for s in (mond, mon):
        wait_until(lambda: alerted(s), timeout=20, what=f"{s.kind} alert")
        n0 = len(s.records())
        r1 = s.moncmd("ack", "g1", "bad", "'on it'", login=ALICE)
        r2 = s.moncmd("ack", "g1", "quiet", "'no pair'", login=ALICE)
        acks = wait_until(lambda: new_records(
            s, n0, lambda r: "ACK" in r["argv"]), timeout=20,
            what=f"{s.kind} ackalert")
        # a marker alert after the acks: anything else would be here by now
        s.moncmd("test", "alert", "g1", "bad", "9", "night")
        wait_until(lambda: new_records(s, n0, lambda r: "NIGHT" in r["argv"]),
                   timeout=20, what=f"{s.kind} marker alert")
        acks = new_records(s, n0, lambda r: "ACK" in r["argv"])
        got[s.kind] = (r1, r2, [shape(r, s.tmp) for r in acks])
        hist = unesc(s.moncmd("list", "alerthist"))
        assert re.search(r"^ackalert g1 bad \d+ \S+/rec.alert \(ACK \S+\) "
                         r"alice: on it$", hist, re.M), (s.kind, hist)
    assert got["mond"] == got["mon"]
    r1, r2, acks = got["mond"]
    assert r1 == r2 == "220 ack completed\n"
    # one ackalert, for g1/bad: g1/quiet never sent a down alert
    assert len(acks) == 1
    argv, env, stdin = acks[0]
    assert argv[:6] == ["-s", "bad", "-g", "g1", "-h", "localhost 127.0.0.2"]
    assert argv[6:] == ["-t", "T", "-a", "ACK"]
    assert env["MON_ALERTTYPE"] == "ack" and env["MON_RETVAL"] is None
    assert stdin == "alice: on it"


def test_disablealert(servers):
    # mon 1.3 checks the flag it has just set, so its disablealerts never
    # run; mond runs them (see README compat)
    mond = servers("mond").start()
    wait_until(lambda: alerted(mond), timeout=20, what="first alert")
    n0 = len(mond.records())
    assert mond.moncmd("disable", "service", "g1", "bad", login=ALICE) == \
        "220 disable service completed\n"
    recs = wait_until(lambda: new_records(mond, n0, lambda r: "DIS" in
                                          r["argv"]),
                      timeout=20, what="disablealert")
    a = recs[0]["argv"]
    assert a[a.index("-l") + 2:] == ["-D", "DIS", mond.rec]
    assert recs[0]["env"]["MON_ALERTTYPE"] == "disable"
    assert recs[0]["stdin"] == "alice"
    assert re.search(r"^disablealert g1 bad \d+ ", unesc(mond.moncmd(
        "list", "alerthist")), re.M)
    # enabling runs nothing, disabling a watch or host neither
    assert mond.moncmd("enable", "service", "g1", "bad", login=ALICE) == \
        "220 enable completed\n"
    mond.moncmd("disable", "watch", "g1", login=ALICE)
    mond.moncmd("test", "alert", "g1", "bad", "9", "night")
    wait_until(lambda: new_records(mond, n0, lambda r: "NIGHT" in r["argv"]),
               timeout=20, what="marker alert")
    assert len(new_records(mond, n0, lambda r: "DIS" in r["argv"])) == 1


def test_stop_start(servers):
    mond = servers("mond").start()
    mons = [mond]
    if os.path.exists("/usr/sbin/mon"):
        mons.append(servers("mon").start())
    for s in mons:
        wait_until(lambda: s.runs() >= 1, timeout=20, what=f"{s.kind} check")
        t0 = servertime(s)
        assert s.moncmd("stop") == "220 stop completed\n"
        t1 = servertime(s)
        out = s.moncmd("list", "state")
        m = re.fullmatch(r"scheduler stopped since (\d+)\n"
                         r"220 list state completed\n", out)
        assert m and t0 <= int(m.group(1)) <= t1, (s.kind, out)
    # stopped: no check starts (a run already started may end), clients
    # are served, "test monitor" waits for start
    runs = mond.runs()
    assert mond.moncmd("test", "monitor", "solo", "count") == \
        "220 test monitor completed\n"
    t = servertime(mond)
    wait_until(lambda: servertime(mond) >= t + 3, timeout=10,
               what="three seconds of stopped scheduler")
    assert mond.runs() <= runs + 1
    held = mond.runs()
    # a failing trap while stopped changes the state but sends no alert
    n0 = len(mond.records())
    send_trap(mond, "trapper", "trappw", "default", "default", 1, "down")
    wait_until(lambda: dict(parse_opstatus(mond.moncmd("list", "opstatus"))
                            [("default", "default")])["opstatus"] == "0",
               what="trap handled while stopped")
    assert "default/default: ignoring alert because the scheduler is " \
        "stopped" in mond.log()
    for s in mons:
        assert s.moncmd("start") == "220 start completed\n"
        assert s.moncmd("list", "state") == \
            "scheduler running\n220 list state completed\n"
    wait_until(lambda: mond.runs() >= held + 2, timeout=20,
               what="checks after start")
    assert len(new_records(mond, n0, lambda r: "-T" in r["argv"])) == 0


def is_startup(r):
    return r["env"].get("MON_ALERTTYPE") == "startup" and not is_test(r)


def test_start_stopped_like_mon(servers):
    """mond -S as mon -S: the scheduler starts stopped, so no monitor runs
    and the startup alerts are dropped, not deferred; "start" runs the
    checks and the failure alerts go out."""
    mons = [servers("mond")]
    if os.path.exists("/usr/sbin/mon"):
        mons.append(servers("mon"))
    for s in mons:
        t0 = int(time.time())
        s.start(extra=["-S"])
        out = s.moncmd("list", "state")
        m = re.fullmatch(r"scheduler stopped since (\d+)\n"
                         r"220 list state completed\n", out)
        assert m and t0 <= int(m.group(1)) <= servertime(s), (s.kind, out)
    # observation window of 2 s: no check starts (count.monitor would
    # append to "runs"), no alert runs
    end = time.monotonic() + 2
    while time.monotonic() < end:
        for s in mons:
            assert s.runs() == 0 and s.records() == [], (s.kind, s.log())
        time.sleep(0.1)
    mond = mons[0]
    assert "scheduler stopped" in mond.log()
    # g1/bad has a startupalert: mon's do_alert drops it while stopped
    assert "g1/bad: ignoring alert because the scheduler is stopped" in \
        mond.log(), mond.log()
    # nothing ran: still untested (7)
    assert dict(mond.opstatus()[("g1", "bad")])["opstatus"] == "7"
    for s in mons:
        assert s.moncmd("start") == "220 start completed\n"
        assert s.moncmd("list", "state") == \
            "scheduler running\n220 list state completed\n"
    for s in mons:
        wait_until(lambda: s.runs() >= 1, timeout=20, what=f"{s.kind} check")
        wait_until(lambda: alerted(s), timeout=20, what=f"{s.kind} alert")
        assert [r for r in s.records() if is_startup(r)] == [], s.kind


def test_monctl_stop_start_state(servers):
    mond = servers("mond").start()
    p = ["-p", str(mond.port)]
    r = run([MONCTL, "state"] + p)
    assert (r.returncode, r.stdout, r.stderr) == (0, "scheduler running\n",
                                                  "")
    r = run([MONCTL, "state", "--json"] + p)
    assert (r.returncode, json.loads(r.stdout)) == (0, {"running": True})
    wait_until(lambda: mond.runs() >= 1, timeout=20, what="first check")
    t0 = servertime(mond)
    r = run([MONCTL, "stop"] + p)
    assert (r.returncode, r.stdout, r.stderr) == (0, "stop completed\n", "")
    m = re.fullmatch(r"scheduler stopped since (\d+)\n"
                     r"220 list state completed\n",
                     mond.moncmd("list", "state"))
    assert m and t0 <= int(m.group(1)) <= servertime(mond)
    since = int(m.group(1))
    held = mond.runs()
    r = run([MONCTL, "state"] + p)
    assert r.returncode == 1, r.stderr
    assert re.fullmatch(rf"scheduler stopped since {since} \(\d{{4}}-\d\d-\d\d "
                        r"\d\d:\d\d:\d\d [+-]\d{4}\)\n", r.stdout), r.stdout
    r = run([MONCTL, "state", "--json"] + p)
    assert (r.returncode, json.loads(r.stdout)) == \
        (1, {"running": False, "stopped_since": since})
    r = run([MONCTL, "state", "--quiet"] + p)
    assert (r.returncode, r.stdout) == (1, "")
    r = run([MONCTL, "start", "--json"] + p)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"ok": True, "reply": "220 start completed",
                                    "lines": []}
    assert mond.moncmd("list", "state") == \
        "scheduler running\n220 list state completed\n"
    assert run([MONCTL, "state", "--quiet"] + p).returncode == 0
    wait_until(lambda: mond.runs() >= held + 2, timeout=20,
               what="checks after monctl start")
    # an auth.cf without stop/start: mond refuses, monctl exits 1
    mond.write("auth.cf", AUTH)
    assert mond.moncmd("reload", "auth") == "220 reload completed\n"
    r = run([MONCTL, "stop"] + p)
    assert r.returncode == 1
    assert "520 command could not be executed" in r.stderr
    assert mond.moncmd("list", "state").startswith("scheduler running\n")
    # usage errors and an unreachable mond
    assert run([MONCTL, "stop", "now"] + p).returncode == 2
    assert run([MONCTL, "state", "extra"] + p).returncode == 2
    r = run([MONCTL, "state", "-p", "1"])
    assert r.returncode == 3 and "cannot connect" in r.stderr


def test_reset_stopped(servers):
    mond = servers("mond").start()
    out = mond.moncmd("reset", "stopped")
    assert out.startswith(f"220 reset PID {mond.proc.pid}@"), out
    assert mond.moncmd("list", "state").startswith("scheduler stopped since ")
    assert mond.moncmd("start") == "220 start completed\n"
    wait_until(lambda: mond.runs() >= 1, timeout=20, what="check after start")


def test_failurehist(servers):
    mond = servers("mond").start()
    mons = [mond]
    if os.path.exists("/usr/sbin/mon"):
        mons.append(servers("mon").start())
    pat = re.compile(r"g1 (bad|quiet) (\d+) localhost 127.0.0.2 broken")
    for s in mons:
        def hist():
            lines = s.moncmd("list", "failurehist").splitlines()
            return len(lines) >= 5 and lines
        raw = wait_until(hist, timeout=20, what=f"{s.kind} failures")
        assert raw[-1] == "220 list failurehist completed", s.kind
        # mon's esc_str: a line is one word, spaces as \20
        assert all(" " not in l for l in raw[:-1]), raw
        lines = [unesc(l) for l in raw]
        assert all(pat.fullmatch(l) for l in lines[:-1]), (s.kind, lines)
        stamps = [int(pat.fullmatch(l).group(2)) for l in lines[:-1]]
        assert stamps == sorted(stamps)
        assert abs(stamps[-1] - servertime(s)) < 30
    # mond keeps maxkeep + 1 lines, as mon once it is over maxkeep
    assert mond.moncmd("set", "maxkeep", "2") == "220 set completed\n"
    lines = [unesc(l) for l in
             mond.moncmd("list", "failurehist").splitlines()]
    assert len(lines) == 4, lines
    assert all(pat.fullmatch(l) for l in lines[:-1]), lines


def test_pids_and_opstatus_fields(servers):
    mond = servers("mond").start()
    mons = [mond]
    if os.path.exists("/usr/sbin/mon"):
        mons.append(servers("mon").start())
    for s in mons:
        def slow_running():
            out = s.moncmd("list", "pids")
            m = re.search(r"^g1 slow (\d+)$", out, re.M)
            return m and (out, int(m.group(1)))
        out, pid = wait_until(slow_running, timeout=20,
                              what=f"{s.kind} slow monitor running")
        lines = out.splitlines()
        assert lines[0] == f"server {s.proc.pid}", (s.kind, out)
        assert lines[-1] == "220 list pids completed"
        assert all(re.fullmatch(r"\S+ \S+ \d+", l) for l in lines[1:-1])
        if s.kind == "mond":
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                assert b"slow.monitor" in f.read()
        # the slow monitor sleeps 2 s: its last run took 2 s (mon: 2 or 3)
        wait_until(lambda: op(s, "slow").get("monitor_duration") in
                   ("2", "3"), timeout=20, what=f"{s.kind} slow duration")
        assert op(s, "bad")["monitor_duration"] in ("0", "1")
        # depstatus: g1/dep depends on the failing g1/bad; none elsewhere
        wait_until(lambda: op(s, "dep").get("depstatus") == "0", timeout=20,
                   what=f"{s.kind} depstatus")
        assert op(s, "bad")["depstatus"] == ""
