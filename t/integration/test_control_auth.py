"""Issue 6's auth and state gaps, against mond and, where installed,
Debian's mon on the same files:

- `-l [statetype]`: mon's statedir/disabled (and opstatus) loaded at
  start-up, on top of mond's own state;
- mon's statedir/opstatus written by one server and loaded by the other
  (savestate opstatus / -l opstatus), both ways;
- auth.cf trap section with a host name;
- authtype pam (a throw-away user and /etc/pam.d file), shadow and
  getpwnam, logging in with Mon::Client: right password accepted, wrong
  one refused with mon's "530 login unsuccessful".

Fixtures are test_control.py's (Server, servers, send_trap).
"""
import os
import subprocess
import uuid

import pytest

from conftest import is_root, run, wait_until
from test_control import (MON, MOND, CF, Server, checked, need_mon,  # noqa
                          parse_opstatus, send_trap, servers)


class LServer(Server):
    """Server started with extra command-line arguments (e.g. -l)."""

    def __init__(self, tmp, kind, extra=(), **kw):
        super().__init__(tmp, kind, **kw)
        self.extra = list(extra)

    def start(self):
        d = self.path
        if self.kind == "mond":
            argv = [MOND, "-c", d("mon.cf"), "-s", d("mon.d"),
                    "-a", d("alert.d"), "-D", d("state"), "-L", d("log")]
        else:
            argv = [MON, "-c", d("mon.cf"), "-s", d("mon.d"),
                    "-a", d("alert.d"), "-D", d("state"), "-L", d("log"),
                    "-P", "", "-p", str(self.port), "-t", str(self.trapport),
                    "-A", d("auth.cf")]
        self.errf = open(self.errpath, "a")
        self.proc = subprocess.Popen(argv + self.extra,
                                     stdin=subprocess.DEVNULL,
                                     stdout=self.errf, stderr=self.errf)
        wait_until(self.accepting, timeout=20, what=f"{self.kind} listening")
        return self


@pytest.fixture
def lservers(tmp_path):
    started = []

    def make(kind, name=None, **kw):
        d = tmp_path / (name or kind)
        d.mkdir(exist_ok=True)
        s = LServer(str(d), kind, **kw)
        started.append(s)
        return s

    yield make
    for s in started:
        s.stop()
        if s.kind == "mond":
            assert "Sanitizer" not in s.log(), s.log()


# As mon's save_state("disabled") writes it.
DISABLED = ("disable host 127.0.0.2\n"
            "disable watch solo\n"
            "disable service g1 ok\n"
            "disable service g1 nosuch\n")


def list_disabled(srv):
    return sorted(l for l in srv.moncmd("list", "disabled").splitlines()
                  if l.strip())


@pytest.mark.parametrize("arg", [["-l"], ["-l", "disabled"], ["-l", "all"]])
def test_l_loads_mon_disabled(lservers, arg):
    mond = lservers("mond", extra=arg)
    mond.write("state/disabled", DISABLED)
    mond.start()
    got = list_disabled(mond)
    assert "group g1: 127.0.0.2" in got
    assert "watch solo" in got
    assert "watch g1 service ok" in got
    assert any("undefined group or service" in l for l in
               mond.log().splitlines()), mond.log()
    if os.path.exists(MON):
        mon = lservers("mon", extra=arg)
        mon.write("state/disabled", DISABLED)
        mon.start()
        assert got == list_disabled(mon)


def test_without_l_nothing_loaded(lservers):
    mond = lservers("mond")
    mond.write("state/disabled", DISABLED)
    mond.start()
    assert [l for l in list_disabled(mond) if "127.0.0.2" in l or
            "solo" in l or "g1 ok" in l] == []


def test_l_bad_type_is_a_usage_error(tmp_path):
    r = run([MOND, "-c", str(tmp_path / "none.cf"), "-l", "bogus"])
    assert r.returncode == 2
    assert 'mond: -l: expected disabled, opstatus or all, got "bogus"' \
        in r.stderr


def fail_and_ack(srv):
    """default/default failed by a trap, then acknowledged by alice."""
    send_trap(srv, "trapper", "trappw", "default", "default", 1,
              "cron failed")
    wait_until(lambda: dict(srv.opstatus()[("default", "default")])
               ["opstatus"] == "0", what=f"{srv.kind}: trap failure")
    assert srv.moncmd("ack", "default", "default", "'on it'",
                      login=("alice", "secret")) == "220 ack completed\n"
    assert srv.moncmd("savestate", "opstatus") == "220 savestate completed\n"
    with open(srv.path("state", "opstatus")) as f:
        return f.read()


def assert_loaded(srv, traphost):
    op = dict(srv.opstatus()[("default", "default")])
    assert op["opstatus"] == "0"
    assert op["last_summary"] == "cron failed"
    assert op["ackcomment"] == "alice: on it"
    assert int(op["ack"]) > 0
    assert op["last_traphost"] == traphost


def test_opstatus_mond_to_mond(lservers):
    a = lservers("mond", name="a").start()
    text = fail_and_ack(a)
    line = [l for l in text.splitlines()
            if l.startswith("group=default\tservice=default\t")]
    assert len(line) == 1
    assert "\top_status=0\t" in line[0]
    assert "\tack_comment=alice:\\20on\\20it\t" in line[0]
    b = lservers("mond", name="b", extra=["-l", "opstatus"])
    b.write("state/opstatus", text)
    b.start()
    assert_loaded(b, "127.0.0.1")


def test_opstatus_between_mon_and_mond(lservers):
    need_mon()
    # mon writes, mond reads
    mon = lservers("mon", name="mon1").start()
    text = fail_and_ack(mon)
    mond = lservers("mond", extra=["-l", "opstatus"])
    mond.write("state/opstatus", text)
    mond.start()
    assert_loaded(mond, "")     # mon 1.3 never records the trap's sender
    # mond writes, mon reads
    mond2 = lservers("mond", name="mond2").start()
    text = fail_and_ack(mond2)
    mon2 = lservers("mon", name="mon2", extra=["-l", "opstatus"])
    mon2.write("state/opstatus", text)
    mon2.start()
    assert_loaded(mon2, "127.0.0.1")


TRAPNAME_AUTH = """\
command section
list: all
trap section
localhost trapper zz/zB0Z3xV5/.
"""


def test_trap_host_by_name(lservers):
    mond = lservers("mond")
    mond.write("auth.cf", TRAPNAME_AUTH)
    mond.start()
    send_trap(mond, "trapper", "wrong", "default", "default", 1, "nope")
    wait_until(lambda: "bad password" in mond.log(), what="refusal logged")
    send_trap(mond, "trapper", "trappw", "default", "default", 1, "by name")
    wait_until(lambda: dict(mond.opstatus()[("default", "default")])
               ["last_summary"] == "by name", what="trap from localhost")


LOGIN = r'''
use Mon::Client;
my ($port, $user, $pass) = @ARGV;
my $c = Mon::Client->new(host => "127.0.0.1", port => $port);
$c->connect or die $c->error;
if ($c->login(username => $user, password => $pass)) { print "ok\n"; }
else { print $c->error, "\n"; }
$c->disconnect;
'''


def login(srv, user, pw):
    r = run(["perl", "-e", LOGIN, str(srv.port), user, pw], timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.fixture
def system_user():
    """A throw-away system user with a password and a PAM service file
    (pam_unix) of its own; both removed at the end."""
    if not is_root():
        pytest.skip("needs root to create a user and /etc/pam.d file")
    for tool in ("/usr/sbin/useradd", "/usr/sbin/userdel",
                 "/usr/sbin/chpasswd"):
        if not os.path.exists(tool):
            pytest.skip(f"{tool} missing (package passwd)")
    tag = uuid.uuid4().hex[:10]
    user, pw = f"mt{tag}", f"pw-{tag}!"
    service = f"mondtest-{tag}"
    pamfile = f"/etc/pam.d/{service}"
    r = run(["/usr/sbin/useradd", "-M", "-N", "-s", "/usr/sbin/nologin",
             user])
    assert r.returncode == 0, r.stderr
    try:
        r = run(["/usr/sbin/chpasswd"], input=f"{user}:{pw}\n")
        assert r.returncode == 0, r.stderr
        with open(pamfile, "x") as f:
            f.write("auth required pam_unix.so\n"
                    "account required pam_unix.so\n")
        yield user, pw, service
    finally:
        if os.path.exists(pamfile):
            os.unlink(pamfile)
        run(["/usr/sbin/userdel", user])


@pytest.mark.parametrize("authtype,accepted", [
    ("pam", True),
    ("shadow", True),
    ("getpwnam", True),         # as root, Perl's getpwnam (mon) and
                                # mond read the shadow entry
    ("getpwnam pam", True),     # tried in order
    ("userfile", False),        # not in the userfile
])
def test_system_user_login(lservers, system_user, authtype, accepted):
    user, pw, service = system_user
    g = f"authtype = {authtype}\npamservice = {service}\n"
    mond = lservers("mond", extra_globals=g)
    # the fixtures' head sets "authtype = userfile"; the later line wins
    mond.start()
    assert login(mond, user, pw) == ("ok" if accepted else
                                     "530 login unsuccessful")
    assert login(mond, user, pw + "x") == "530 login unsuccessful"
    # alice is in the userfile only
    assert login(mond, "alice", "secret") == ("ok" if authtype == "userfile"
                                              else "530 login unsuccessful")
    # Debian's mon on the same files (pam needs Authen::PAM; mon's shadow
    # never authenticates, so it is not compared)
    if os.path.exists(MON) and authtype != "shadow":
        mon = lservers("mon", extra_globals=g)
        mon.start()
        assert login(mon, user, pw) == login(mond, user, pw)
        assert login(mon, user, pw + "x") == "530 login unsuccessful"
