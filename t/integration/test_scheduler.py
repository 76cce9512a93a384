"""mond's scheduler end to end: a real mond, real child processes.

Each test writes small shell monitors and a recording alert into its own
temporary directory, starts mond in the foreground on a mon.cf made for
the test, and waits (under a deadline) for what a user would see: the
alert program's argv, environment and stdin, mond's exit status and its
log lines on stderr.
"""
import json
import os
import signal
import subprocess
import textwrap
import time

import pytest

from conftest import SRC, build_path, kill_pid, run, wait_until

MOND = build_path("mond")

pytestmark = pytest.mark.skipif(not os.path.exists(MOND),
                                reason="mond not built")

# The recording alert: one JSON line per call with argv, MON_* env and
# the service's own variable, stdin, and how many monitor runs had
# happened when it ran.
REC_ALERT = r'''#!/usr/bin/env python3
import json, os, sys
rec = sys.argv[-1]
d = os.path.dirname(rec)
try:
    with open(os.path.join(d, "runs")) as f:
        runs = sum(1 for _ in f)
except FileNotFoundError:
    runs = 0
env = {k: v for k, v in os.environ.items()
       if k.startswith("MON_") or k in ("PATH", "SVCVAR")}
line = json.dumps({"argv": sys.argv, "env": env, "stdin": sys.stdin.read(),
                   "runs": runs, "envkeys": sorted(os.environ)}) + "\n"
fd = os.open(rec, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
os.write(fd, line.encode())
os.close(fd)
'''

# A monitor steered by one file (exit code, then output), counting its
# runs (with how many alerts it had seen) and keeping its environment.
CTL_MONITOR = r'''#!/bin/sh
d=$(dirname "$0")/..
alerts=0
[ -f "$d/rec.jsonl" ] && alerts=$(wc -l < "$d/rec.jsonl")
echo "$alerts $*" >> "$d/runs"
env > "$d/monitor.env.tmp" && mv "$d/monitor.env.tmp" "$d/monitor.env"
# one file, replaced atomically: line 1 the exit code, then the output
{ read -r rc; cat; exit "$rc"; } < "$d/ctl"
'''


class Mond:
    """A mond started on a config in a private directory."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.proc = None
        for sub in ("mon.d", "alert.d", "state", "log"):
            os.makedirs(os.path.join(tmp, sub), exist_ok=True)
        self.write("alert.d/rec.alert", REC_ALERT, mode=0o755)
        self.write("mon.d/ctl.monitor", CTL_MONITOR, mode=0o755)
        self.set_result(0, "")
        self.cf = os.path.join(tmp, "mon.cf")
        self.stderr_path = os.path.join(tmp, "mond.stderr")
        self.rec = os.path.join(tmp, "rec.jsonl")

    def path(self, *p):
        return os.path.join(self.tmp, *p)

    def write(self, rel, text, mode=0o644):
        p = self.path(rel)
        tmp = p + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.rename(tmp, p)          # a running monitor never reads half a file

    def set_result(self, rc, out):
        self.write("ctl", f"{rc}\n{out}")

    def config(self, body):
        self.write("mon.cf", textwrap.dedent(body).lstrip())

    def argv(self, *extra):
        return [MOND, "-c", self.cf, "-s", self.path("mon.d"),
                "-a", self.path("alert.d"), "-D", self.path("state"),
                "-L", self.path("log"), *extra]

    def start(self, *extra):
        self.errf = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(self.argv(*extra), stdin=subprocess.DEVNULL,
                                     stdout=self.errf, stderr=self.errf)
        return self.proc

    def stop(self):
        kill_pid(self.proc)
        if self.proc is not None:
            self.errf.close()

    def log(self):
        with open(self.stderr_path) as f:
            return f.read()

    def records(self):
        try:
            with open(self.rec) as f:
                return [json.loads(l) for l in f if l.strip()]
        except FileNotFoundError:
            return []

    def runs(self):
        try:
            with open(self.path("runs")) as f:
                return [l.rstrip("\n") for l in f]
        except FileNotFoundError:
            return []

    def wait_records(self, n, timeout=15):
        return wait_until(lambda: len(self.records()) >= n and self.records(),
                          timeout=timeout, what=f"{n} alert(s)")

    def wait_runs(self, n, timeout=15):
        return wait_until(lambda: len(self.runs()) >= n and self.runs(),
                          timeout=timeout, what=f"{n} monitor run(s)")

    def wait_log(self, text, timeout=15):
        return wait_until(lambda: text in self.log(), timeout=timeout,
                          what=f"log line {text!r}")


@pytest.fixture
def mond(tmp_path):
    m = Mond(str(tmp_path))
    yield m
    m.stop()
    if m.proc is not None:
        # a sanitizer build reports on stderr; that fails the test
        assert "Sanitizer" not in m.log(), m.log()


def basic_cf(m, period_extra="", service_extra="", interval="0.2s"):
    """One watch "web" (hosts h1 h2), one service "http" run by
    ctl.monitor, alerts and upalerts to the recording alert.  (A blank
    line ends a watch in mon.cf, so the lines are joined without any.)"""
    lines = [
        "hostgroup web h1 h2",
        "",
        "watch web",
        "    service http",
        "        description the web front",
        f"        interval {interval}",
        # the default deadline is the interval: too tight on a busy box
        "        monitor_timeout 10s",
        "        SVCVAR=hello world",
        "        monitor ctl.monitor -x 1",
        *("        " + l for l in service_extra.split("\n") if l.strip()),
        "        period wd {Sun-Sat}",
        f"            alert rec.alert extra1 {m.rec}",
        f"            upalert rec.alert extra1 {m.rec}",
        "            alertevery 1h",
        *("            " + l for l in period_extra.split("\n") if l.strip()),
    ]
    m.write("mon.cf", "\n".join(lines) + "\n")


def test_failure_alert_once_then_upalert(mond):
    basic_cf(mond)
    mond.set_result(1, "h1 down\nh1: connection refused\nmore detail\n")
    mond.start()
    recs = mond.wait_records(1)
    r = recs[0]
    a = r["argv"]
    assert a[0] == mond.path("alert.d", "rec.alert")
    assert a[1:7] == ["-s", "http", "-g", "web", "-h", "h1 h2"]
    assert a[7] == "-t" and a[8].isdigit()
    assert abs(int(a[8]) - time.time()) < 600
    assert a[9:] == ["-l", "3600", "extra1", mond.rec]
    env = r["env"]
    assert env["MON_GROUP"] == "web"
    assert env["MON_SERVICE"] == "http"
    assert env["MON_RETVAL"] == "1"
    assert env["MON_OPSTATUS"] == "0"
    assert env["MON_ALERTTYPE"] == "failure"
    assert env["MON_DESCRIPTION"] == "the web front"
    assert env["MON_LAST_SUMMARY"] == "h1 down"
    assert env["MON_LOGDIR"] == mond.path("log")
    assert env["MON_STATEDIR"] == mond.path("state")
    assert env["SVCVAR"] == "hello world"
    assert env["PATH"] == \
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert r["stdin"] == "h1 down\nh1: connection refused\nmore detail\n"
    # the environment is built from nothing: nothing of the test's leaks
    assert "PYTEST_CURRENT_TEST" not in r["envkeys"]

    # monitor argv exactly as mon: path, configured args, hosts
    assert mond.runs()[0].split(" ", 1)[1] == "-x 1 h1 h2"

    # More failures with the same summary inside alertevery: no alert.
    n = len(mond.runs())
    mond.wait_runs(n + 3)
    assert len(mond.records()) == 1

    # A changed summary alerts again.
    mond.set_result(1, "h1 h2 down\n")
    recs = mond.wait_records(2)
    assert recs[1]["stdin"] == "h1 h2 down\n"
    assert recs[1]["env"]["MON_ALERTTYPE"] == "failure"

    # Recovery: one upalert with -u.
    mond.set_result(0, "\n")
    recs = mond.wait_records(3)
    up = recs[2]
    assert up["argv"][9:] == ["-l", "3600", "-u", "extra1", mond.rec]
    assert up["env"]["MON_ALERTTYPE"] == "up"
    assert up["env"]["MON_OPSTATUS"] == "1"
    assert up["env"]["MON_RETVAL"] == "0"
    n = len(mond.runs())
    mond.wait_runs(n + 3)
    assert len(mond.records()) == 3
    # state changes are logged with old and new state
    log = mond.log()
    assert "web/http: untested -> fail after " in log
    assert "web/http: fail -> ok after " in log

    # The monitor saw the previous run's summary.
    with open(mond.path("monitor.env")) as f:
        menv = dict(l.rstrip("\n").split("=", 1) for l in f if "=" in l)
    assert menv["MON_DESCRIPTION"] == "the web front"
    assert "MON_LAST_SUCCESS" in menv and "MON_LAST_FAILURE" in menv


def test_alertafter_waits_for_third_failure(mond):
    basic_cf(mond, period_extra="alertafter 3")
    mond.set_result(2, "h2 down\n")
    mond.start()
    recs = mond.wait_records(1)
    # The alert ran after the third failure, not before ...
    assert recs[0]["runs"] >= 3
    # ... and the first two runs had seen no alert at all.
    runs = mond.runs()
    assert runs[0].split()[0] == "0" and runs[1].split()[0] == "0"
    assert recs[0]["env"]["MON_RETVAL"] == "2"


def test_hung_monitor_killed_with_its_group(mond):
    mond.write("mon.d/hang.monitor", textwrap.dedent(f"""\
        #!/bin/sh
        # a grandchild that ignores SIGTERM, then the leader waits forever
        sh -c 'trap "" TERM; echo $$ > {mond.path("gc.pid")}; exec sleep 600' &
        echo "started"
        wait
        """), mode=0o755)
    mond.config(f"""
        hostgroup g h1

        watch g
            service hang
                interval 5s
                monitor_timeout 1s
                monitor hang.monitor
                period wd {{Sun-Sat}}
                    alert rec.alert {mond.rec}
        """)
    mond.start()
    recs = mond.wait_records(1, timeout=20)
    assert recs[0]["stdin"].startswith("timed out after 1s\n")
    assert recs[0]["env"]["MON_LAST_SUMMARY"] == "timed out after 1s"
    gc = int(open(mond.path("gc.pid")).read())

    def gone():
        try:
            with open(f"/proc/{gc}/status") as f:
                return "State:\tZ" in f.read()
        except FileNotFoundError:
            return True
    wait_until(gone, timeout=10, what=f"grandchild {gc} to be killed")
    assert "deadline, SIGTERM to group" in mond.log()


def test_huge_output_keeps_memory_bounded(mond):
    mond.write("mon.d/flood.monitor", textwrap.dedent("""\
        #!/bin/sh
        echo "flood summary"
        head -c 100000000 /dev/zero | tr '\\0' 'x'
        exit 1
        """), mode=0o755)
    mond.config(f"""
        hostgroup g h1

        watch g
            service flood
                interval 1h
                monitor flood.monitor
                period wd {{Sun-Sat}}
                    alert rec.alert {mond.rec}
        """)
    p = mond.start()
    recs = mond.wait_records(1, timeout=60)
    assert recs[0]["stdin"].startswith("flood summary\n")
    # the detail is cut at the 64 KiB bound
    assert len(recs[0]["stdin"]) <= 64 * 1024 + 2
    with open(f"/proc/{p.pid}/status") as f:
        rss_kb = int(next(l for l in f if l.startswith("VmRSS")).split()[1])
    assert rss_kb < 32 * 1024, f"mond RSS {rss_kb} kB after 100 MB of output"
    assert "bytes dropped" in mond.log()


def test_bad_config_refused_with_position(mond):
    mond.config("""
        hostgroup g h1

        watch g
            service s
                interval 1m
                monitor ctl.monitor
                frobnicate yes
        """)
    r = run(mond.argv())
    assert r.returncode == 1
    # compiler form: file:line:col (col 9: "frobnicate" after 8 blanks)
    assert f"{mond.cf}:7:9: error: " in r.stderr
    assert "frobnicate" in r.stderr
    assert r.stderr.rstrip().endswith("1 error(s), not starting")
    assert not os.path.exists(mond.path("runs"))


def test_sighup_broken_file_keeps_running(mond):
    basic_cf(mond)
    mond.set_result(0, "\n")
    p = mond.start()
    mond.wait_runs(2)
    with open(mond.cf, "a") as f:
        f.write("\nwatch nosuchgroup\n    service x\n        frobnicate\n")
    p.send_signal(signal.SIGHUP)
    mond.wait_log("keeping the running configuration")
    n_lines = len(open(mond.cf).read().splitlines())
    assert f"reload: {mond.cf}:{n_lines}:9: error: " in mond.log()
    n = len(mond.runs())
    mond.wait_runs(n + 3)
    assert p.poll() is None


def test_sighup_good_file_keeps_state(mond):
    basic_cf(mond)
    mond.set_result(1, "h1 down\n")
    p = mond.start()
    mond.wait_records(1)
    # Same service, new period arguments: the failure state survives, so
    # no second alert within alertevery, and recovery uses the new args.
    text = open(mond.cf).read().replace("extra1", "extra2")
    mond.write("mon.cf", text)
    p.send_signal(signal.SIGHUP)
    mond.wait_log(f"reload: {mond.cf} loaded")
    n = len(mond.runs())
    mond.wait_runs(n + 3)
    assert len(mond.records()) == 1
    mond.set_result(0, "\n")
    recs = mond.wait_records(2)
    assert "-u" in recs[1]["argv"] and "extra2" in recs[1]["argv"]


def test_sigterm_exits_zero_and_kills_children(mond):
    mond.write("mon.d/slow.monitor", textwrap.dedent(f"""\
        #!/bin/sh
        echo $$ > {mond.path("slow.pid")}
        exec sleep 600
        """), mode=0o755)
    mond.config("""
        hostgroup g h1

        watch g
            service slow
                interval 1h
                monitor slow.monitor
        """)
    p = mond.start()
    wait_until(lambda: os.path.exists(mond.path("slow.pid")) and
               open(mond.path("slow.pid")).read().strip(), what="slow.pid")
    pid = int(open(mond.path("slow.pid")).read())
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=10) == 0
    assert not os.path.exists(f"/proc/{pid}") or \
        "State:\tZ" in open(f"/proc/{pid}/status").read()


def test_check_config(mond):
    basic_cf(mond)
    r = run(mond.argv("-t"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("configuration OK")
    # a monitor that is not there is a warning, not an error
    text = open(mond.cf).read().replace("ctl.monitor", "missing.monitor")
    mond.write("mon.cf", text)
    r = run(mond.argv("-t"))
    assert r.returncode == 0
    assert "missing.monitor" in r.stderr and "warning" in r.stderr
    mond.write("mon.cf", text + "\nbogus_global_line here\n")
    r = run(mond.argv("-t"))
    assert r.returncode == 1
    assert "error" in r.stderr and r.stdout == ""


def test_help_and_version():
    r = run([MOND, "--help"])
    assert r.returncode == 0
    for opt in ("-c file", "-f", "-t", "-M", "-s dir", "-a dir", "-D dir",
                "-L dir", "-P file", "-d", "exit status"):
        assert opt in r.stdout
    r = run([MOND, "-v"])
    assert r.returncode == 0 and r.stdout.startswith("mond ")
    r = run([MOND, "-Z"])
    assert r.returncode == 2


def test_downtime_log_and_alert_history(mond):
    basic_cf(mond)
    text = open(mond.cf).read()
    mond.write("mon.cf", "dtlogging = yes\ndtlogfile = dt.log\n"
               "historicfile = hist.log\n\n" + text)
    mond.set_result(1, "h1 down\n")
    mond.start()
    mond.wait_records(1)
    mond.set_result(0, "\n")
    mond.wait_records(2)
    dt = mond.path("log", "dt.log")
    wait_until(lambda: os.path.exists(dt) and
               any(not l.startswith("#") for l in open(dt)),
               what="a downtime log line")
    lines = open(dt).read().splitlines()
    assert lines[0] == "#"
    assert lines[1].startswith("# downtime log start ")
    assert lines[2] == ("# time back up, group, service, first failure, "
                        "downtime, interval, summary")
    rec = [l for l in lines if not l.startswith("#")]
    assert len(rec) == 1
    f = rec[0].split(" ", 6)
    back, first = int(f[0]), int(f[3])
    assert f[1:3] == ["web", "http"]
    assert int(f[4]) == back - first and first <= back
    assert f[5] == "0"              # interval 0.2s, in whole seconds
    assert f[6] == "h1 down"        # the failure's summary
    hist = open(mond.path("log", "hist.log")).read().splitlines()
    alert = mond.path("alert.d", "rec.alert")
    assert len(hist) == 2
    h0, h1 = hist[0].split(" "), hist[1].split(" ")
    assert h0[:3] == ["alert", "web", "http"] and h0[3].isdigit()
    assert hist[0].endswith(f" {alert} (extra1 {mond.rec}) h1 down")
    assert h1[:3] == ["upalert", "web", "http"]


def test_monitor_that_cannot_run_is_a_failure(mond):
    basic_cf(mond)
    text = open(mond.cf).read().replace("ctl.monitor -x 1", "absent.monitor")
    mond.write("mon.cf", text)
    mond.start()
    recs = mond.wait_records(1)
    assert recs[0]["stdin"].startswith("could not run: absent.monitor: ")
    assert recs[0]["env"]["MON_RETVAL"] == "127"


def test_hosts_argv_and_no_overlap(mond):
    # A monitor slower than its interval is not started twice; the
    # host list honours exclude_hosts and ";;".
    mond.write("mon.d/slow.monitor", textwrap.dedent(f"""\
        #!/bin/sh
        echo "start $$ $*" >> {mond.path("trace")}
        sleep 0.5
        echo "end $$" >> {mond.path("trace")}
        exit 0
        """), mode=0o755)
    mond.config("""
        hostgroup g h1 h2 h3

        watch g
            service slow
                interval 0.1s
                monitor_timeout 10s
                exclude_hosts h2
                monitor slow.monitor -v
            service nohosts
                interval 1h
                monitor ctl.monitor a b ;;
        """)
    mond.start()

    def trace():
        try:
            return open(mond.path("trace")).read().splitlines()
        except FileNotFoundError:
            return []
    wait_until(lambda: sum(l.startswith("end") for l in trace()) >= 3,
               timeout=20, what="three slow runs")
    t = trace()
    # strictly start, end, start, end ...: never two at once
    for i, l in enumerate(t):
        assert l.startswith("start" if i % 2 == 0 else "end"), t
        if i % 2 == 1:
            assert l.split()[1] == t[i - 1].split()[1]
    assert t[0].split(" ", 2)[2] == "-v h1 h3"
    runs = mond.wait_runs(1)
    assert runs[0].split(" ", 1)[1] == "a b"


def test_failed_alert_retried_and_survives_restart(mond):
    # flaky.alert fails while the file "alert_fail" exists, then behaves
    # like the recording alert.
    mond.write("alert.d/flaky.alert", textwrap.dedent(f"""\
        #!/bin/sh
        if [ -f {mond.path("alert_fail")} ]; then
            echo try >> {mond.path("tries")}
            echo "mail server refused"
            exit 1
        fi
        exec {mond.path("alert.d", "rec.alert")} "$@"
        """), mode=0o755)
    basic_cf(mond)
    text = open(mond.cf).read().replace("alert rec.alert", "alert flaky.alert")
    mond.write("mon.cf", "alert_retry = 0.3s\nalert_retry_max = 0.3s\n\n" + text)
    mond.write("alert_fail", "")
    mond.set_result(1, "h1 down\n")
    p = mond.start()

    def tries():
        try:
            return len(open(mond.path("tries")).read().splitlines())
        except FileNotFoundError:
            return 0
    wait_until(lambda: tries() >= 2, what="the alert to be retried")
    assert "web/http: alert flaky.alert: exited 1: mail server refused; " \
           "retry 1 in 300ms" in mond.log()
    spool = mond.path("state", "spool")

    def spooled():
        # an atomic rewrite (a retry) may show its temp file for a moment
        return [f for f in os.listdir(spool)
                if f != "corrupt" and ".tmp" not in f]
    assert len(spooled()) == 1

    # Stopped with the alert undelivered: it stays spooled ...
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=10) == 0
    mond.errf.close()
    assert len(spooled()) == 1
    assert mond.records() == []

    # ... and the next start delivers it (the service is fine by then,
    # so this is the only alert).
    os.unlink(mond.path("alert_fail"))
    mond.set_result(0, "\n")
    mond.start()
    recs = mond.wait_records(1)
    assert recs[0]["env"]["MON_ALERTTYPE"] == "failure"
    assert recs[0]["stdin"] == "h1 down\n"
    assert recs[0]["argv"][1:7] == ["-s", "http", "-g", "web", "-h", "h1 h2"]
    wait_until(lambda: spooled() == [], what="the spool to empty")
    assert "1 undelivered alert(s) from a previous run" in mond.log()


def test_dependencies_drop_hosts_and_skip_runs(mond):
    # net/ping fails for h1.  web/http (hostdepend net:ping) then runs
    # without h1; web/smtp (monitordepend net:ping) does not run at all.
    d = mond.tmp
    mond.write("mon.d/parent.monitor",
               f"#!/bin/sh\necho x >> {d}/parent.runs\n"
               f"{{ read -r rc; cat; exit \"$rc\"; }} < {d}/parent.ctl\n",
               mode=0o755)
    mond.write("mon.d/trace.monitor",
               f"#!/bin/sh\nname=$1; shift\necho \"$*\" >> {d}/$name.trace\n",
               mode=0o755)
    mond.write("parent.ctl", "0\n\n")
    mond.config(f"""
        hostgroup net h1 h2
        hostgroup web h1 h2

        watch net
            service ping
                interval 0.2s
                monitor_timeout 10s
                monitor parent.monitor

        watch web
            service http
                interval 0.2s
                monitor_timeout 10s
                hostdepend net:ping
                monitor trace.monitor http
            service smtp
                interval 0.2s
                monitor_timeout 10s
                monitordepend net:ping
                monitor trace.monitor smtp
        """)
    mond.start()

    def lines(name):
        try:
            return open(os.path.join(d, name)).read().splitlines()
        except FileNotFoundError:
            return []
    wait_until(lambda: len(lines("http.trace")) >= 2 and
               len(lines("smtp.trace")) >= 2, what="runs while net is ok")
    assert lines("http.trace")[0] == "h1 h2"

    mond.write("parent.ctl", "1\nh1\nh1: no route\n")
    n = len(lines("parent.runs"))
    wait_until(lambda: len(lines("parent.runs")) >= n + 2,
               what="net/ping to fail")
    mond.wait_log("net/ping: ok -> fail after ")
    smtp_before = len(lines("smtp.trace"))
    http_before = len(lines("http.trace"))
    wait_until(lambda: len(lines("http.trace")) >= http_before + 3,
               what="http runs while net fails")
    # every http run that started after the failure was seen lacks h1
    assert lines("http.trace")[-1] == "h2"
    # smtp is held back (at most one run was already under way)
    assert len(lines("smtp.trace")) <= smtp_before + 1


def test_startup_alert_exclude_period_and_empty_group(mond):
    d = mond.tmp
    mond.write("mon.d/trace.monitor",
               f"#!/bin/sh\nname=$1; shift\necho \"$*\" >> {d}/$name.trace\n",
               mode=0o755)
    mond.config(f"""
        hostgroup g h1

        watch g
            service never
                interval 0.1s
                exclude_period wd {{Sun-Sat}}
                monitor trace.monitor never
            service empty
                interval 0.1s
                exclude_hosts h1
                monitor trace.monitor empty
            service emptyok
                interval 0.1s
                exclude_hosts h1
                allow_empty_group
                monitor trace.monitor emptyok
                period wd {{Sun-Sat}}
                    startupalert rec.alert {mond.rec}
        """)
    mond.start("-d")
    recs = mond.wait_records(1)
    assert recs[0]["env"]["MON_ALERTTYPE"] == "startup"
    assert recs[0]["argv"][1:5] == ["-s", "emptyok", "-g", "g"]

    def lines(name):
        try:
            return open(os.path.join(d, name)).read().splitlines()
        except FileNotFoundError:
            return []
    # allow_empty_group: runs with no host arguments at all
    wait_until(lambda: len(lines("emptyok.trace")) >= 3, what="emptyok runs")
    assert lines("emptyok.trace")[0] == ""
    mond.wait_log("g/never: in exclude_period, not run")
    mond.wait_log("g/empty: no hosts left to check")
    assert lines("never.trace") == [] and lines("empty.trace") == []
    n = len(lines("emptyok.trace"))
    wait_until(lambda: len(lines("emptyok.trace")) >= n + 3,
               what="more emptyok runs")
    # said once, not at every interval
    assert mond.log().count("g/empty: no hosts left to check") == 1
    assert len(mond.records()) == 1


def test_example_config_and_its_programs(tmp_path):
    # etc/mon.cf checks clean against the built monitors and alerts
    r = run([MOND, "-t", "-c", os.path.join(SRC, "etc", "mon.cf"),
             "-s", build_path("monitors"), "-a", build_path("alerts")])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("configuration OK")
    assert r.stderr == ""

    mon = build_path("monitors")
    la = tmp_path / "loadavg"
    la.write_text("9.00 8.00 7.00 1/100 1234\n")
    r = run([os.path.join(mon, "loadavg.monitor"), "-w", "1", "-c", "100",
             "-f", str(la), "localhost"])
    ncpu = os.cpu_count() or 1
    assert r.returncode == 1
    assert r.stdout.splitlines()[0].startswith("load | load1=9.00")
    assert f"over {ncpu} CPUs" in r.stdout

    fake = tmp_path / "proc"
    for pid, comm in ((1, "init"), (42, "cron")):
        (fake / str(pid)).mkdir(parents=True)
        (fake / str(pid) / "comm").write_text(comm + "\n")
    r = run([os.path.join(mon, "procs.monitor"), "-p", str(fake),
             "cron", "sshd", "nginx"])
    assert r.returncode == 2
    assert r.stdout.splitlines() == [
        "sshd nginx", "cron: ok 1 running",
        "sshd: CRITICAL no process named sshd",
        "nginx: CRITICAL no process named nginx"]

    r = run([os.path.join(mon, "diskfree.monitor"), "-w", "101", "-c", "0",
             str(tmp_path)])
    assert r.returncode == 1
    assert "WARNING" in r.stdout.splitlines()[1]

    logf = tmp_path / "alerts.log"
    p = subprocess.run([build_path("alerts", "log.alert"), "-f", str(logf),
                        "-s", "disk", "-g", "local", "-h", "a b", "-t", "17",
                        "-l", "0", "-u"], input="/var full\ndetail\n",
                       text=True, env={"MON_ALERTTYPE": "up",
                                       "PATH": "/usr/bin:/bin"}, timeout=30)
    assert p.returncode == 0
    assert logf.read_text() == "17 up local/disk [a b]: /var full\n"


def test_reload_drops_a_service_with_a_running_monitor(mond):
    mond.write("mon.d/slow.monitor", textwrap.dedent(f"""\
        #!/bin/sh
        echo $$ > {mond.path("slow.pid")}
        exec sleep 600
        """), mode=0o755)
    keep = textwrap.dedent("""\
        hostgroup g h1

        watch g
            service fast
                interval 0.2s
                monitor_timeout 10s
                monitor ctl.monitor
        """)
    mond.write("mon.cf", keep + textwrap.indent(textwrap.dedent("""\
        service slow
            interval 1h
            monitor_timeout 1s
            monitor slow.monitor
        """), "    "))
    p = mond.start()
    wait_until(lambda: os.path.exists(mond.path("slow.pid")) and
               open(mond.path("slow.pid")).read().strip(), what="slow.pid")
    pid = int(open(mond.path("slow.pid")).read())
    mond.write("mon.cf", keep)
    p.send_signal(signal.SIGHUP)
    mond.wait_log("g/slow: removed by reload")
    # the orphaned monitor still meets its deadline, unobserved
    wait_until(lambda: not os.path.exists(f"/proc/{pid}") or
               "State:\tZ" in open(f"/proc/{pid}/status").read(),
               what="the removed service's monitor to be killed")
    n = len(mond.runs())
    mond.wait_runs(n + 3)
    assert p.poll() is None
    assert "g/slow: timed out" not in mond.log()


def test_dash_f_forks_into_the_background_as_mon(mond):
    """mon's -f: mond forks, the command returns 0 at once, the daemon
    writes its pid file and goes on checking; without -f (every other
    test) it stays in the foreground."""
    basic_cf(mond)
    pidfile = mond.path("state", "mond.pid")
    r = run(mond.argv("-f", "-P", pidfile), timeout=30)
    assert r.returncode == 0, r.stderr
    pid = int(wait_until(lambda: os.path.exists(pidfile) and
                         open(pidfile).read().strip(),
                         what="the pid file"))
    try:
        assert os.path.exists(f"/proc/{pid}")
        n = len(mond.runs())
        mond.wait_runs(n + 2)              # the daemon keeps checking
    finally:
        os.kill(pid, signal.SIGTERM)
        wait_until(lambda: not os.path.exists(f"/proc/{pid}") or
                   open(f"/proc/{pid}/stat").read().split()[2] == "Z",
                   what="the daemon to stop")


def spawn_helper_of(pid):
    """The pid of mond's spawn helper (its child named mond-spawn)."""
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        kids = f.read().split()
    for k in kids:
        try:
            with open(f"/proc/{k}/comm") as f:
                if f.read().strip() == "mond-spawn":
                    return int(k)
        except FileNotFoundError:
            pass
    return None


def test_spawn_helper_death_loses_no_check_and_sends_no_alert(mond):
    # A failing monitor that is mid-run when the helper is killed: that run
    # is lost (no state change, no alert), its process group is killed,
    # a new helper takes over, the check runs again and alerts once.
    mond.write("mon.d/slow.monitor", textwrap.dedent(f"""\
        #!/bin/sh
        echo $$ >> {mond.path("slow.pids")}
        sleep 3
        echo "slow failed"
        exit 1
        """), mode=0o755)
    mond.config(f"""
        hostgroup g h1

        watch g
            service slow
                interval 1s
                monitor_timeout 20s
                monitor slow.monitor
                period wd {{Sun-Sat}}
                    alert rec.alert {mond.rec}
                    alertevery 1h
        """)
    proc = mond.start()
    helper = wait_until(lambda: spawn_helper_of(proc.pid), timeout=10,
                        what="the spawn helper")
    def first_pid():
        try:
            with open(mond.path("slow.pids")) as f:
                words = f.read().split()
        except FileNotFoundError:
            return None
        return int(words[0]) if words else None
    first = wait_until(first_pid, timeout=10, what="the first run")
    os.kill(helper, signal.SIGKILL)
    mond.wait_log("spawn helper pid %d" % helper)
    mond.wait_log("g/slow: result lost (spawn helper died), checking again")

    def gone():
        try:
            with open(f"/proc/{first}/status") as f:
                return "State:\tZ" in f.read()
        except FileNotFoundError:
            return True
    wait_until(gone, timeout=10, what=f"the orphaned monitor {first} killed")
    new = wait_until(lambda: spawn_helper_of(proc.pid), timeout=10,
                     what="a new spawn helper")
    assert new != helper
    # The lost run sent nothing; the next run fails and alerts, once.
    recs = mond.wait_records(1, timeout=20)
    assert recs[0]["stdin"] == "slow failed\n"
    assert len(open(mond.path("slow.pids")).read().split()) >= 2
    assert proc.poll() is None
    assert len(mond.records()) == 1


def test_no_spawn_helper_environment(mond, monkeypatch):
    # MOND_NO_SPAWN_HELPER=1: mond forks its children itself, and they
    # run and alert the same way.
    monkeypatch.setenv("MOND_NO_SPAWN_HELPER", "1")
    basic_cf(mond)
    mond.set_result(1, "h1 down\n")
    proc = mond.start()
    recs = mond.wait_records(1)
    assert recs[0]["stdin"] == "h1 down\n"
    assert spawn_helper_of(proc.pid) is None
    assert "MOND_NO_SPAWN_HELPER set" in mond.log()
