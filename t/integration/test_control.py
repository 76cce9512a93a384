"""The control plane end to end: mon's TCP protocol, traps, auth, state
that survives a restart, monctl, and hostile clients.

mon's own clients (Debian's moncmd, monshow and a Perl script using
Mon::Client) talk to a real mond.  Where Debian's mon is installed it
runs on the same config on other ports, and the replies are compared
line by line (fields that hold times are left out of the comparison).
"""
import json
import os
import resource
import signal
import socket
import subprocess
import textwrap
import time

import pytest

from conftest import build_path, free_port, kill_pid, run, wait_until

MOND = build_path("mond")
MONCTL = build_path("monctl")
MON = "/usr/sbin/mon"
MONCMD = "/usr/bin/moncmd"
MONSHOW = "/usr/bin/monshow"

pytestmark = [
    pytest.mark.skipif(not os.path.exists(MOND), reason="mond not built"),
    pytest.mark.skipif(not os.path.exists(MONCMD),
                       reason="moncmd missing (Debian package mon-client)"),
]

REC_ALERT = r'''#!/usr/bin/env python3
import json, os, sys
rec = sys.argv[-1]
env = {k: v for k, v in os.environ.items() if k.startswith("MON_")}
line = json.dumps({"argv": sys.argv[1:], "env": env,
                   "stdin": sys.stdin.read()}) + "\n"
fd = os.open(rec, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
os.write(fd, line.encode())
os.close(fd)
'''

OK_MONITOR = "#!/bin/sh\necho 'all fine'\nexit 0\n"
BAD_MONITOR = "#!/bin/sh\necho \"$* broken\"\necho 'detail line'\nexit 1\n"
# counts its runs, so a test can wait for "N more checks happened"
COUNT_MONITOR = ("#!/bin/sh\ndate +%s.%N >> \"$(dirname \"$0\")/../runs\"\n"
                 "echo counted\nexit 0\n")

# Password "secret" for alice (md5-crypt), bob (DES) and carol (apr1 as
# htpasswd writes it: mond only, Perl's crypt() lacks it); "trappw" for
# the trap user.
USERS = ("alice:$1$ab$dslkcXxVH.x8LwW1W/oAB/\n"
         "bob:zz1T8N4tWvmbE\n"
         "carol:$apr1$Xy12$GLsymIGo7.ZavKYrGfltS0\n")

AUTH = """\
command section
list: all
servertime: all
checkauth: all
ack: AUTH_ANY
disable: alice
enable: alice
test: all
savestate: all
set: all
get: all
reload: all
reset: all
term: all
trap section
127.0.0.1 trapper zz/zB0Z3xV5/.
"""

CF = """\
hostgroup g1 localhost 127.0.0.2

hostgroup solo h9

hostgroup default x

watch g1
    service ok
        description the ok "service"
        interval 1s
        monitor ok.monitor
        period wd {Sun-Sat}
            alert rec.alert REC
    service bad
        interval 1s
        monitor bad.monitor
        period wd {Sun-Sat}
            alert rec.alert REC
            alertevery 1h
            upalert rec.alert REC

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
            upalert rec.alert REC
"""


class Server:
    """mond or Debian's mon on a private directory and free ports."""

    def __init__(self, tmp, kind, cf=CF, extra_globals=""):
        self.tmp = tmp
        self.kind = kind
        self.proc = None
        self.port = free_port()
        self.trapport = free_port(socket.SOCK_DGRAM)
        for sub in ("mon.d", "alert.d", "state", "log"):
            os.makedirs(self.path(sub), exist_ok=True)
        self.write("alert.d/rec.alert", REC_ALERT, 0o755)
        self.write("mon.d/ok.monitor", OK_MONITOR, 0o755)
        self.write("mon.d/bad.monitor", BAD_MONITOR, 0o755)
        self.write("mon.d/count.monitor", COUNT_MONITOR, 0o755)
        self.write("auth.cf", AUTH)
        self.write("users", USERS)
        self.rec = self.path("rec.jsonl")
        head = textwrap.dedent(f"""\
            serverport = {self.port}
            trapport = {self.trapport}
            authfile = {self.path("auth.cf")}
            userfile = {self.path("users")}
            authtype = userfile
            """) + extra_globals + "\n"
        self.write("mon.cf", head + cf.replace("REC", self.rec))
        self.errpath = self.path("stderr")

    def path(self, *p):
        return os.path.join(self.tmp, *p)

    def write(self, rel, text, mode=0o644):
        p = self.path(rel)
        with open(p + ".tmp", "w") as f:
            f.write(text)
        os.chmod(p + ".tmp", mode)
        os.rename(p + ".tmp", p)

    def start(self, extra=()):
        """Start the server; extra: more options (both take mon's)."""
        d = self.path
        if self.kind == "mond":
            argv = [MOND, "-c", d("mon.cf"), "-s", d("mon.d"),
                    "-a", d("alert.d"), "-D", d("state"), "-L", d("log")]
        else:
            argv = [MON, "-c", d("mon.cf"), "-s", d("mon.d"),
                    "-a", d("alert.d"), "-D", d("state"), "-L", d("log"),
                    "-P", "", "-p", str(self.port), "-t", str(self.trapport),
                    "-A", d("auth.cf")]
        argv += list(extra)
        self.errf = open(self.errpath, "a")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self.errf, stderr=self.errf)
        wait_until(self.accepting, timeout=20, what=f"{self.kind} listening")
        return self

    def accepting(self):
        if self.proc.poll() is not None:
            pytest.fail(f"{self.kind} exited {self.proc.returncode}:\n"
                        + self.log())
        try:
            socket.create_connection(("127.0.0.1", self.port), 1).close()
            return True
        except OSError:
            return False

    def stop(self):
        if self.proc is not None:
            kill_pid(self.proc)
            self.errf.close()
            self.proc = None

    def log(self):
        with open(self.errpath) as f:
            return f.read()

    def moncmd(self, *cmd, login=None):
        argv = [MONCMD, "-s", "127.0.0.1", "-p", str(self.port)]
        inp = None
        if login:
            argv += ["-a", "-l", login[0]]
            # moncmd drops the line after the "pass=" line: a blank one
            inp = f"pass={login[1]}\n\n" + " ".join(cmd) + "\n"
        else:
            argv += list(cmd)
        r = run(argv, input=inp, timeout=30)
        return r.stdout

    def opstatus(self):
        return parse_opstatus(self.moncmd("list", "opstatus"))

    def records(self):
        try:
            with open(self.rec) as f:
                return [json.loads(l) for l in f if l.strip()]
        except FileNotFoundError:
            return []

    def runs(self):
        try:
            with open(self.path("runs")) as f:
                return sum(1 for _ in f)
        except FileNotFoundError:
            return 0


def parse_vars(line):
    """Mon::Client's _opstatus_to_vars, in Python: ordered pairs."""
    out = []
    o = line
    while True:
        o = o.lstrip()
        eq = o.find("=")
        if eq <= 0:
            break
        k, o = o[:eq], o[eq + 1:]
        if o.startswith("'") and "'" in o[1:]:
            end = o.index("'", 1)
            v, o = o[1:end], o[end + 1:]
        else:
            v = o.split(" ", 1)[0] if o and not o[0].isspace() else ""
            o = o[len(v):]
        out.append((k, unesc(v)))
    return out


def unesc(s):
    import re
    return re.sub(r"\\([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), s)


def parse_opstatus(text):
    res = {}
    for line in text.splitlines():
        if line.startswith("group="):
            pairs = parse_vars(line)
            d = dict(pairs)
            res[(d["group"], d["service"])] = pairs
    return res


# Fields that hold times or counts of runs differ between two servers.
VOLATILE = {"timer", "last_success", "last_check", "last_failure",
            "first_failure", "failure_duration", "last_alert", "alerts_sent",
            "monitor_duration", "monitor_running", "ack", "last_trap"}


def stable(pairs):
    return [(k, v) for k, v in pairs if k not in VOLATILE]


def checked(srv):
    op = srv.opstatus()
    return (op.get(("g1", "bad")) and dict(op[("g1", "bad")])["opstatus"] == "0"
            and dict(op[("g1", "ok")])["opstatus"] == "1" and op)


def settled(srv):
    """Every monitor has run a few times (so last_opstatus, mon's status
    before the latest check, is the current one everywhere)."""
    op = checked(srv)
    return (op and srv.runs() >= 3
            and int(dict(op[("g1", "bad")]).get("failure_duration", 0)) >= 2
            and srv.opstatus())


@pytest.fixture
def servers(tmp_path):
    started = []

    def make(kind, **kw):
        d = tmp_path / kind
        d.mkdir(exist_ok=True)
        s = Server(str(d), kind, **kw)
        started.append(s)
        return s

    yield make
    for s in started:
        s.stop()
        if s.kind == "mond":
            assert "Sanitizer" not in s.log(), s.log()


def monshow_works():
    return os.path.exists(MONSHOW) and "Can't locate" not in \
        run([MONSHOW, "--help"]).stderr


def monshow(srv, *args):
    """monshow's output, lines sorted, times and the clock line blurred."""
    import re
    r = run([MONSHOW, "--server", "127.0.0.1", "--port", str(srv.port),
             "--showall", "--full", *args])
    assert r.returncode == 0, r.stderr
    lines = [re.sub(r"\b\d+[smhd]\b", "T", l) for l in r.stdout.splitlines()
             if not l.strip().startswith("time:")]
    return sorted(lines)


def need_mon():
    if not os.path.exists(MON):
        pytest.skip("Debian's mon is not installed (package mon)")


def test_list_opstatus_matches_mon(servers):
    need_mon()
    mond = servers("mond").start()
    mon = servers("mon").start()
    a = wait_until(lambda: settled(mond), timeout=20, what="mond checks")
    b = wait_until(lambda: settled(mon), timeout=20, what="mon checks")
    assert sorted(a) == sorted(b)
    for key in a:
        # same fields in the same order, same values where not a time
        assert [k for k, _ in a[key]] == [k for k, _ in b[key]], key
        assert stable(a[key]) == stable(b[key]), key
    assert dict(a[("g1", "bad")])["last_summary"] == \
        "localhost 127.0.0.2 broken"
    assert dict(a[("g1", "ok")])["monitor"] == "ok.monitor"
    # monshow shows the same table (times aside; mon's order is random)
    if monshow_works():
        assert monshow(mond) == monshow(mon)
        assert monshow(mond, "--detail", "g1,bad") == \
            monshow(mon, "--detail", "g1,bad")
    # and the other lists mon's clients read
    for cmd in (["list", "watch"], ["list", "descriptions"],
                ["list", "group", "g1"], ["list", "state"],
                ["list", "deps"], ["list", "views"], ["version"],
                ["protid", "9745"], ["protid", "1"], ["list", "bogus"],
                ["bogus"], ["get", "maxkeep"], ["checkauth", "list"],
                ["checkauth", "disable"], ["list", "aliasgroups"]):
        x, y = mond.moncmd(*cmd), mon.moncmd(*cmd)
        assert x.splitlines()[-1][:4] in ("220 ", "520 "), (cmd, x)
        assert sorted(x.splitlines()) == sorted(y.splitlines()), cmd


def test_disable_enable_ack_like_mon(servers):
    need_mon()
    mond = servers("mond").start()
    mon = servers("mon").start()
    wait_until(lambda: checked(mond), timeout=20, what="mond checks")
    wait_until(lambda: checked(mon), timeout=20, what="mon checks")
    alice = ("alice", "secret")
    steps = [
        (("disable", "host", "127.0.0.2"), alice),
        (("disable", "host", "nosuch"), alice),
        (("disable", "service", "g1", "ok"), alice),
        (("disable", "service", "g1", "nosuch"), alice),
        (("disable", "watch", "default"), alice),
        (("disable", "watch", "nosuch"), alice),
        (("disable", "host", "h9"), alice),     # singleton: watch too
        (("list", "disabled"), None),
        (("ack", "g1", "bad", "'on it, really'"), alice),
        (("ack", "g1", "ok", "x"), None),
        (("ack", "nosuch", "ok", "x"), None),
        (("test", "monitor", "g1", "ok"), None),
        (("test", "monitor", "g1", "nosuch"), None),
        (("disable", "host", "localhost"), None),   # not logged in
        (("disable", "host", "localhost"), ("bob", "secret")),  # not alice
        (("enable", "host", "127.0.0.2"), alice),
        (("enable", "host", "h9"), alice),
        (("enable", "service", "g1", "ok"), alice),
        (("enable", "watch", "default"), alice),
        (("list", "disabled"), None),
    ]
    for cmd, login in steps:
        x = mond.moncmd(*cmd, login=login)
        y = mon.moncmd(*cmd, login=login)
        assert x.splitlines()[-1][:4] in ("220 ", "520 "), (cmd, x)
        assert sorted(x.splitlines()) == sorted(y.splitlines()), cmd
    # the ack shows in list opstatus as mon shows it
    a = dict(mond.opstatus()[("g1", "bad")])
    b = dict(mon.opstatus()[("g1", "bad")])
    assert a["ackcomment"] == b["ackcomment"] == "alice: on it, really"
    assert int(a["ack"]) > 0 and int(b["ack"]) > 0


def test_monshow_and_monctl(servers):
    mond = servers("mond").start()
    wait_until(lambda: checked(mond), timeout=20, what="mond checks")
    if os.path.exists(MONSHOW):
        r = run([MONSHOW, "--server", "127.0.0.1", "--port",
                 str(mond.port), "--showall", "--full"])
        if "Can't locate" in r.stderr:
            pytest.skip("monshow lacks CGI.pm (libcgi-pm-perl)")
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert any(l.split()[1:4] == ["g1", "bad", "FAIL"] for l in lines
                   if len(l.split()) > 3), r.stdout
        assert "state: scheduler running" in r.stdout
    # monctl status: a table, exit 1 because g1/bad fails
    r = run([MONCTL, "status", "-p", str(mond.port)])
    assert r.returncode == 1, r.stderr
    rows = [l.split()[:3] for l in r.stdout.splitlines()[1:]]
    assert ["g1", "bad", "fail"] in rows and ["g1", "ok", "ok"] in rows
    r = run([MONCTL, "status", "--quiet", "-p", str(mond.port)])
    assert (r.returncode, r.stdout) == (1, "")
    r = run([MONCTL, "failures", "--json", "-p", str(mond.port)])
    j = json.loads(r.stdout)
    assert [(x["group"], x["service"], x["state"]) for x in j] == \
        [("g1", "bad", "fail")]
    # ack and disable through monctl, seen by moncmd
    env = dict(os.environ, MONCTL_PASSWORD="secret")
    r = run([MONCTL, "ack", "-u", "carol", "-p", str(mond.port), "g1", "bad",
             "disk", "replaced", "tomorrow"], env=env)
    assert r.returncode == 0, r.stderr
    assert dict(mond.opstatus()[("g1", "bad")])["ackcomment"] == \
        "carol: disk replaced tomorrow"
    r = run([MONCTL, "ack", "-u", "carol", "-p", str(mond.port), "g1", "bad",
             "x"], env=dict(os.environ, MONCTL_PASSWORD="wrong"))
    assert r.returncode == 1 and "530 login unsuccessful" in r.stderr
    # unack and test monitor through monctl
    r = run([MONCTL, "unack", "-u", "carol", "-p", str(mond.port), "g1",
             "bad"], env=env)
    assert r.returncode == 0, r.stderr
    assert dict(mond.opstatus()[("g1", "bad")])["ack"] == "0"
    r = run([MONCTL, "test", "-p", str(mond.port), "g1", "ok"])
    assert r.returncode == 0, r.stderr
    assert "test monitor completed" in r.stdout
    for bad in (["unack", "g1"], ["test", "g1", "ok", "extra"]):
        r = run([MONCTL, *bad])
        assert r.returncode == 2 and "usage: monctl" in r.stderr, bad
    r = run([MONCTL, "disable", "-p", str(mond.port), "watch", "solo"])
    assert r.returncode == 1          # not logged in: refused
    assert "520 command could not be executed" in r.stderr
    r = run([MONCTL, "disable", "-u", "alice", "-p", str(mond.port),
             "watch", "solo"], env=env)
    assert r.returncode == 0, r.stderr
    assert "watch solo" in mond.moncmd("list", "disabled")
    r = run([MONCTL, "status", "-p", "1"])
    assert r.returncode == 3 and "cannot connect" in r.stderr
    r = run([MONCTL, "ack", "g1"])
    assert r.returncode == 2


SEND_TRAP = r'''
use Mon::Client;
my ($port, $user, $pass, $grp, $svc, $ret, $sum) = @ARGV;
my $c = Mon::Client->new(host => "127.0.0.1", port => $port,
                         username => $user, password => $pass);
$c->send_trap(group => $grp, service => $svc, retval => $ret,
              opstatus => ($ret ? "fail" : "ok"), summary => $sum,
              detail => "trap detail\n") or die $c->error;
'''


def send_trap(srv, user, pw, grp, svc, ret, summary):
    r = run(["perl", "-e", SEND_TRAP, str(srv.trapport), user, pw, grp, svc,
             str(ret), summary])
    assert r.returncode == 0, r.stderr


def test_trap_from_mon_client(servers):
    mond = servers("mond").start()
    wait_until(lambda: checked(mond), timeout=20, what="mond checks")
    # a wrong password is ignored (and logged)
    send_trap(mond, "trapper", "wrong", "default", "default", 1, "nope")
    wait_until(lambda: "bad password" in mond.log(), what="refusal logged")
    assert dict(mond.opstatus()[("default", "default")])["opstatus"] == "7"
    # an unknown group lands in default/default, alerts with -T
    send_trap(mond, "trapper", "trappw", "nosuch", "svc", 1, "cron failed")
    recs = wait_until(lambda: [r for r in mond.records()
                               if "-T" in r["argv"]], what="trap alert")
    a = recs[0]["argv"]
    assert a[a.index("-g") + 1] == "default"
    assert a[a.index("-s") + 1] == "default"
    assert recs[0]["stdin"].startswith("cron failed\n")
    op = dict(mond.opstatus()[("default", "default")])
    assert op["opstatus"] == "0" and op["last_summary"] == "cron failed"
    assert op["last_traphost"] == "127.0.0.1" and int(op["last_trap"]) > 0
    # monctl trap sends the same packet
    r = run([MONCTL, "trap", "default", "default", "--status", "0",
             "--summary", "cron ok", "-u", "trapper", "-p",
             str(mond.trapport)], env=dict(os.environ,
                                           MONCTL_PASSWORD="trappw"))
    assert r.returncode == 0, r.stderr
    wait_until(lambda: dict(mond.opstatus()[("default", "default")])
               ["opstatus"] == "1", what="ok after the second trap")


HB_CF = """\
hostgroup hb cronbox

watch hb
    service heartbeat
        traptimeout 2s
        period wd {Sun-Sat}
            alert rec.alert REC
            upalert rec.alert REC
"""


def test_traptimeout_heartbeat(servers):
    mond = servers("mond", cf=HB_CF).start()
    # no trap: after 2 s an alert with -O, MON_ALERTTYPE=traptimeout
    recs = wait_until(lambda: mond.records(), timeout=15,
                      what="traptimeout alert")
    assert "-O" in recs[0]["argv"]
    assert recs[0]["env"]["MON_ALERTTYPE"] == "traptimeout"
    # the heartbeat comes back: an upalert
    send_trap(mond, "trapper", "trappw", "hb", "heartbeat", 0, "alive")
    ups = wait_until(lambda: [r for r in mond.records() if "-u" in r["argv"]],
                     timeout=15, what="upalert")
    assert ups[0]["env"]["MON_GROUP"] == "hb"


RESTART_CF = """\
hostgroup g1 localhost 127.0.0.2

hostgroup solo h9

watch g1
    service bad
        interval 1s
        monitor bad.monitor
        period wd {Sun-Sat}
            alert rec.alert REC
            alertevery 1h

watch solo
    service count
        interval 1s
        monitor count.monitor
        period wd {Sun-Sat}
            alert rec.alert REC
"""


SAVE_CF = """\
hostgroup g1 localhost

watch g1
    service flip
        interval 1s
        monitor flip.monitor
"""
# fails while the file FAIL exists beside mon.d
FLIP_MONITOR = ("#!/bin/sh\nif [ -e \"$(dirname \"$0\")/../FAIL\" ]; then\n"
                "  echo 'flip down'; exit 1\nfi\necho 'flip up'\nexit 0\n")


def test_state_saved_soon_after_a_failure_not_after_a_first_success(servers):
    """A service's first success after start-up is not worth a save of
    the whole state (the minute's save takes it; a restart checks it
    again), a failure is saved within 5 s."""
    mond = servers("mond", cf=SAVE_CF)
    mond.write("mon.d/flip.monitor", FLIP_MONITOR, 0o755)
    state = mond.path("state", "mond.state")
    mond.start()
    wait_until(lambda: dict(mond.opstatus().get(("g1", "flip"), {}))
               .get("opstatus") == "1", timeout=20, what="first success")
    # Two save ticks (every 5 s) pass with nothing but first successes
    # and repeated ones.
    time.sleep(11)
    assert not os.path.exists(state), open(state).read()
    mond.write("FAIL", "")
    wait_until(lambda: dict(mond.opstatus()[("g1", "flip")])
               .get("opstatus") == "0", timeout=20, what="failure")
    # within the next save tick (5 s), long before the minute's save
    wait_until(lambda: os.path.exists(state), timeout=12,
               what="state file after the failure")
    with open(state) as f:
        text = f.read()
    assert "\topstatus=0\t" in text
    assert "\tfailure_summary=flip\\20down\t" in text   # blanks escaped


def test_restart_keeps_ack_and_disabled(servers):
    mond = servers("mond", cf=RESTART_CF).start()
    wait_until(lambda: mond.records(), timeout=20, what="first alert")
    alice = ("alice", "secret")
    assert mond.moncmd("ack", "g1", "bad", "'known'", login=alice) == \
        "220 ack completed\n"
    assert mond.moncmd("disable", "host", "127.0.0.2", login=alice) == \
        "220 disable host completed\n"
    # savestate also writes mon's own statedir/disabled
    assert mond.moncmd("savestate", "disabled") == "220 savestate completed\n"
    with open(mond.path("state", "disabled")) as f:
        assert f.read() == "disable host 127.0.0.2\n"
    mond.stop()
    assert os.path.exists(mond.path("state", "mond.state"))
    nalerts = len(mond.records())
    mond.start()
    op = dict(mond.opstatus()[("g1", "bad")])
    assert op["ackcomment"] == "alice: known" and int(op["ack"]) > 0
    assert "group g1: 127.0.0.2" in mond.moncmd("list", "disabled")
    # several checks later: still acknowledged, no new alert
    runs = mond.runs()
    wait_until(lambda: mond.runs() >= runs + 3, timeout=20,
               what="three more checks")
    wait_until(lambda: dict(mond.opstatus()[("g1", "bad")])["last_summary"]
               == "localhost broken", what="a check without 127.0.0.2")
    assert len(mond.records()) == nalerts
    assert dict(mond.opstatus()[("g1", "bad")])["ackcomment"] == \
        "alice: known"


def test_corrupt_state_moved_aside(servers):
    mond = servers("mond", cf=RESTART_CF)
    mond.write("state/mond.state", "mond-state 1\nsvc\tgarbage\n")
    mond.start()
    wait_until(lambda: "damaged" in mond.log(), what="corrupt state report")
    assert [f for f in os.listdir(mond.path("state"))
            if f.startswith("mond.state.corrupt.")]


def test_hostile_clients(servers):
    mond = servers("mond", cf=RESTART_CF,
                   extra_globals="cltimeout = 5\n").start()
    wait_until(lambda: mond.runs() >= 1, timeout=20, what="first check")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 4096)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < 1100:
        pytest.skip(f"need 1100 file descriptors, the limit is {hard}")
    socks = []
    try:
        t0 = time.monotonic()
        runs0 = mond.runs()
        for _ in range(1000):
            socks.append(socket.create_connection(("127.0.0.1", mond.port),
                                                  10))
        # half of them send half a line and stay silent (half-open)
        for s in socks[::2]:
            s.sendall(b"list opst")
        # one sends 10 MB without a newline: answered and dropped
        big = socket.create_connection(("127.0.0.1", mond.port), 10)
        big.settimeout(10)
        try:
            big.sendall(b"x" * (10 << 20))
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = b""
        try:
            while True:
                chunk = big.recv(4096)
                if not chunk:
                    break
                reply += chunk
        except ConnectionResetError:
            pass
        big.close()
        assert reply in (b"", b"520 line too long\n")
        # garbage is answered, mond keeps going
        g = socket.create_connection(("127.0.0.1", mond.port), 10)
        g.sendall(b"\x00\xff garbage\r\nlist state\n")
        g.settimeout(10)
        got = b""
        while b"220 list state completed\n" not in got:
            chunk = g.recv(4096)
            assert chunk, got
            got += chunk
        assert got.startswith(b"520 invalid command\n")
        g.close()
        # every client is served, all at once
        for s in socks[1::100]:
            s.settimeout(10)
            s.sendall(b"version\n")
        for s in socks[1::100]:
            got = b""
            while not got.endswith(b"220 version completed\n"):
                chunk = s.recv(4096)
                assert chunk, got
                got += chunk
            assert got == b"version 9745\n220 version completed\n"
        # with 1,000 clients connected, checks go on and moncmd works
        wait_until(lambda: mond.runs() >= runs0 + 4, timeout=30,
                   what="checks with 1000 clients connected")
        elapsed = time.monotonic() - t0
        with open(mond.path("runs")) as f:
            stamps = [float(l) for l in f][runs0 - 1:]
        gap = max(b - a for a, b in zip(stamps, stamps[1:]))
        print(f"hostile: {len(stamps) - 1} checks of a 1s interval in "
              f"{elapsed:.1f}s with 1000 clients; longest gap {gap:.3f}s")
        assert "scheduler running" in mond.moncmd("list", "state")
        # the silent half-line clients are dropped after cltimeout (5 s)
        idle = socks[0]
        idle.settimeout(20)
        assert idle.recv(100) == b""
        assert "inactivity timeout" in mond.log()
        assert mond.proc.poll() is None
    finally:
        for s in socks:
            s.close()


DURATION_CF = """\
hostgroup jobs cronbox

watch jobs
    service nightly
        trapduration 2s
        period wd {Sun-Sat}
            alert rec.alert REC
            upalert rec.alert REC
"""


def test_trapduration_and_reset_term(servers):
    mond = servers("mond", cf=DURATION_CF).start()
    send_trap(mond, "trapper", "trappw", "jobs", "nightly", 2, "job failed")
    wait_until(lambda: dict(mond.opstatus()[("jobs", "nightly")])
               ["opstatus"] == "0", what="failed by the trap")
    recs = wait_until(lambda: mond.records(), what="trap alert")
    assert "-T" in recs[0]["argv"]
    # trapduration: back to ok after 2 s, without an alert
    wait_until(lambda: dict(mond.opstatus()[("jobs", "nightly")])
               ["opstatus"] == "1", timeout=15, what="ok after trapduration")
    assert len(mond.records()) == 1
    # reset (a config reload) from the local host keeps the state
    out = mond.moncmd("reset", "keepstate")
    assert out.startswith(f"220 reset PID {mond.proc.pid}@"), out
    assert dict(mond.opstatus()[("jobs", "nightly")])["last_summary"] == \
        "job failed"
    # a broken config: refused, mond keeps running the old one
    with open(mond.path("mon.cf"), "a") as f:
        f.write("watch jobs\n    service nightly\n        bogus_keyword 1\n")
    out = mond.moncmd("reset")
    assert out.startswith("520 reset PID") and \
        out.endswith("failed, error in config file\n"), out
    # term stops mond
    assert mond.moncmd("term") == "220 terminating server\n"
    assert mond.proc.wait(timeout=20) == 0
