"""smtp.monitor against a real Postfix on loopback ports, and against tiny
listeners for the failure cases (nothing listening, no banner, 554).

Postfix runs as a private instance: its own main.cf/master.cf in a temp
directory (postfix -c DIR), listening only on 127.0.0.1 on free ports:
  plain     STARTTLS offered with a certificate valid for a year
  expired   STARTTLS with a certificate that expired yesterday
  soon      STARTTLS with a certificate that expires in 5 days
  smtps     implicit TLS (wrapper mode) with the valid certificate
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import build_path, free_port, run, wait_until
from netfixtures import (LineServer, SilentHosts, make_cert, parse_output,
                         read_line)

SMTP = build_path("monitors", "smtp.monitor")

MASTER_SERVICES = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def _connectable(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def postfix():
    if shutil.which("postfix") is None or not os.path.isdir(
            "/usr/lib/postfix/sbin"):
        pytest.skip("postfix is not installed (deps/test.txt)")
    if os.geteuid() != 0:
        pytest.skip("a private postfix instance must be started as root")
    try:
        import pwd
        pwd.getpwnam("postfix")
    except KeyError:
        pytest.skip("no postfix user")
    # Postfix's daemons run as the postfix user: the directory must be
    # traversable by it (pytest's tmp_path is 0700).
    d = tempfile.mkdtemp(prefix="mond-smtp-")
    os.chmod(d, 0o755)
    conf = os.path.join(d, "conf")
    queue = os.path.join(d, "queue")
    data = os.path.join(d, "data")
    for p in (conf, queue, data):
        os.mkdir(p)
    shutil.chown(data, "postfix")
    certs = {
        "good": make_cert(d, "good", -1, 365),
        "expired": make_cert(d, "expired", -30, -1),
        "soon": make_cert(d, "soon", -1, 5.5),
    }
    ports = {}
    used = set()
    for name in ("plain", "expired", "soon", "smtps"):
        p = free_port()
        while p in used:
            p = free_port()
        used.add(p)
        ports[name] = p
    maillog = os.path.join(d, "maillog")
    with open(os.path.join(conf, "main.cf"), "w") as f:
        f.write(f"""\
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mail.test.invalid
mydestination =
alias_maps =
alias_database =
smtpd_banner = $myhostname ESMTP mondtest
maillog_file_prefixes = {d}
maillog_file = {maillog}
smtpd_tls_security_level = may
smtpd_tls_cert_file = {certs['good'][0]}
smtpd_tls_key_file = {certs['good'][1]}
""")
    with open(os.path.join(conf, "master.cf"), "w") as f:
        f.write(f"127.0.0.1:{ports['plain']} inet n - n - - smtpd\n")
        for name in ("expired", "soon"):
            c, k = certs[name]
            f.write(f"127.0.0.1:{ports[name]} inet n - n - - smtpd\n"
                    f"  -o smtpd_tls_cert_file={c}\n"
                    f"  -o smtpd_tls_key_file={k}\n")
        f.write(f"127.0.0.1:{ports['smtps']} inet n - n - - smtpd\n"
                f"  -o smtpd_tls_wrappermode=yes\n")
        f.write(MASTER_SERVICES)
    r = run(["postfix", "-c", conf, "start"], timeout=60)
    pidfile = os.path.join(queue, "pid", "master.pid")

    def log():
        try:
            with open(maillog) as fh:
                return fh.read()[-2000:]
        except OSError:
            return "(no maillog)"

    try:
        if r.returncode != 0:
            pytest.skip(f"postfix would not start: {r.stderr.strip()} "
                        f"{log()}")
        deadline = time.monotonic() + 20
        while not all(_connectable(p) for p in ports.values()):
            if time.monotonic() > deadline:
                pytest.skip(f"postfix did not listen: {log()}")
            time.sleep(0.05)
        yield {"ports": ports, "certs": certs, "dir": d}
    finally:
        run(["postfix", "-c", conf, "stop"], timeout=60)
        # postfix stop signals its master by the pid file; make sure.
        try:
            with open(pidfile) as fh:
                pid = int(fh.read().strip())
            wait_until(lambda: not os.path.exists(f"/proc/{pid}"),
                       timeout=10, what="postfix master to exit")
        except (OSError, ValueError):
            pass
        except BaseException:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        shutil.rmtree(d, ignore_errors=True)


def smtp(*args, timeout=60):
    return run([SMTP, *args], timeout=timeout)


def test_postfix_ok(postfix):
    r = smtp("-t", "10", "-p", str(postfix["ports"]["plain"]), "127.0.0.1")
    assert r.returncode == 0, r.stdout + r.stderr
    summary, perf, details = parse_output(r.stdout)
    assert summary == []
    assert re.match(r"ok mail\.test\.invalid ESMTP mondtest; connect [0-9.]+ ms,"
                    r" banner [0-9.]+ ms, total [0-9.]+ ms$",
                    details["127.0.0.1"][0])
    for m in ("connect", "banner", "total"):
        assert re.search(rf"127\.0\.0\.1_{m}=[0-9.e-]+s", perf), perf


def test_expect_banner(postfix):
    port = str(postfix["ports"]["plain"])
    r = smtp("-p", port, "--expect", "ESMTP mondtest$", "127.0.0.1")
    assert r.returncode == 0, r.stdout
    r = smtp("-p", port, "--expect", "^exchange", "127.0.0.1")
    assert r.returncode == 2
    summary, _, details = parse_output(r.stdout)
    assert summary == ["127.0.0.1"]
    assert details["127.0.0.1"][0].startswith(
        'CRITICAL banner "mail.test.invalid ESMTP mondtest" does not match '
        '--expect "^exchange"')


def test_starttls_trusted(postfix):
    r = smtp("-p", str(postfix["ports"]["plain"]), "--starttls", "--cacert",
             postfix["certs"]["good"][0], "--cert-days", "30",
             "127.0.0.1", "localhost")
    assert r.returncode == 0, r.stdout
    _, _, details = parse_output(r.stdout)
    for h in ("127.0.0.1", "localhost"):
        assert re.match(r"ok mail\.test\.invalid ESMTP mondtest \(STARTTLS\);"
                        r" .*; certificate expires in 36[45] days$",
                        details[h][0]), details[h]


def test_starttls_untrusted_certificate(postfix):
    r = smtp("-p", str(postfix["ports"]["plain"]), "--starttls", "127.0.0.1")
    assert r.returncode == 2
    _, _, details = parse_output(r.stdout)
    assert re.match(r"CRITICAL certificate verify failed: self.signed "
                    r"certificate", details["127.0.0.1"][0])
    # --insecure accepts it.
    r = smtp("-p", str(postfix["ports"]["plain"]), "--starttls",
             "--insecure", "127.0.0.1")
    assert r.returncode == 0, r.stdout


def test_starttls_expired_certificate(postfix):
    r = smtp("-p", str(postfix["ports"]["expired"]), "--starttls",
             "--cacert", postfix["certs"]["expired"][0], "127.0.0.1")
    assert r.returncode == 2, r.stdout
    _, _, details = parse_output(r.stdout)
    assert re.match(r"CRITICAL certificate verify failed: certificate has "
                    r"expired \(expired 1 days ago\)", details["127.0.0.1"][0])


def test_starttls_certificate_expiring_soon(postfix):
    port = str(postfix["ports"]["soon"])
    ca = postfix["certs"]["soon"][0]
    r = smtp("-p", port, "--starttls", "--cacert", ca, "--cert-days", "10",
             "127.0.0.1")
    assert r.returncode == 1, r.stdout
    summary, _, details = parse_output(r.stdout)
    assert summary == ["127.0.0.1"]
    assert details["127.0.0.1"][0].startswith("WARNING ")
    assert details["127.0.0.1"][0].endswith(
        "certificate expires in 5 days (--cert-days 10)")
    r = smtp("-p", port, "--starttls", "--cacert", ca, "--cert-days", "3",
             "127.0.0.1")
    assert r.returncode == 0, r.stdout


def test_implicit_tls(postfix):
    r = smtp("-p", str(postfix["ports"]["smtps"]), "--tls", "--cacert",
             postfix["certs"]["good"][0], "127.0.0.1")
    assert r.returncode == 0, r.stdout
    _, _, details = parse_output(r.stdout)
    assert "ESMTP mondtest (TLS);" in details["127.0.0.1"][0]


def test_nothing_listening():
    port = free_port()
    r = smtp("-p", str(port), "127.0.0.1")
    assert r.returncode == 2
    summary, _, details = parse_output(r.stdout)
    assert summary == ["127.0.0.1"]
    assert len(details["127.0.0.1"]) == 1
    assert re.match(rf"CRITICAL connect to 127\.0\.0\.1 port {port}: "
                    r"Connection refused; total [0-9.]+ ms$",
                    details["127.0.0.1"][0]), details


def test_listener_never_sends_banner():
    with SilentHosts(1) as silent:
        r = smtp("-t", "1", "-p", str(silent.port), silent.addrs[0])
    assert r.returncode == 2
    summary, _, details = parse_output(r.stdout)
    assert summary == silent.addrs
    assert re.match(r"CRITICAL timeout after 1\.[0-9]+ s waiting for banner; "
                    r"connect [0-9.]+ ms, total [0-9.]+ ms$",
                    details[silent.addrs[0]][0])


def test_banner_554():
    def refuse(conn):
        conn.sendall(b"554-5.3.2 mail.test.invalid is busy\r\n"
                     b"554 5.3.2 go away\r\n")
        read_line(conn)

    with LineServer(refuse) as srv:
        r = smtp("-p", str(srv.port), "127.0.0.1")
    assert r.returncode == 2
    _, _, details = parse_output(r.stdout)
    assert re.match(r"CRITICAL banner: 554 5\.3\.2 mail\.test\.invalid is "
                    r"busy 5\.3\.2 go away; connect [0-9.]+ ms, banner "
                    r"[0-9.]+ ms, total [0-9.]+ ms$",
                    details["127.0.0.1"][0]), details


def test_ehlo_rejected_names_code_and_text():
    def server(conn):
        conn.sendall(b"220 fake ESMTP\r\n")
        read_line(conn)
        conn.sendall(b"421 4.7.0 too many connections\r\n")
        read_line(conn)

    with LineServer(server) as srv:
        r = smtp("-p", str(srv.port), "127.0.0.1")
    assert r.returncode == 2
    _, _, details = parse_output(r.stdout)
    assert details["127.0.0.1"][0].startswith(
        "CRITICAL EHLO: 421 4.7.0 too many connections")


def test_timeout_names_the_step():
    # Banner and EHLO answered, then silence: the QUIT step times out.
    def server(conn):
        conn.sendall(b"220 fake ESMTP\r\n")
        read_line(conn)
        conn.sendall(b"250-fake\r\n250 8BITMIME\r\n")
        read_line(conn)
        conn.recv(1)

    with LineServer(server) as srv:
        r = smtp("-t", "1", "-p", str(srv.port), "127.0.0.1")
    assert r.returncode == 2
    _, _, details = parse_output(r.stdout)
    assert re.match(r"CRITICAL timeout after [0-9.]+ s waiting for QUIT reply",
                    details["127.0.0.1"][0]), details


def test_summary_sorted_failing_hosts_only(postfix):
    # postfix listens on 127.0.0.1 only: .2 and .3 refuse.
    r = smtp("-p", str(postfix["ports"]["plain"]), "127.0.0.3", "127.0.0.1",
             "127.0.0.2")
    assert r.returncode == 2
    summary, _, details = parse_output(r.stdout)
    assert summary == ["127.0.0.2", "127.0.0.3"]
    assert sorted(details) == ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
    assert details["127.0.0.1"][0].startswith("ok ")


@pytest.mark.parametrize("args,message", [
    ([], "no host given"),
    (["-p", "0", "h"], '-p: bad port "0"'),
    (["-t", "soon", "h"], '-t: expected a positive number of seconds'),
    (["--starttls", "--tls", "h"], "--starttls and --tls exclude each other"),
    (["--expect", "(", "h"], "--expect: bad regular expression"),
    (["--cert-days", "x", "h"], "--cert-days: expected a number of days"),
    (["--frobnicate", "h"], "unknown option --frobnicate"),
    (["-p"], "option -p needs a value"),
])
def test_bad_arguments(args, message):
    r = smtp(*args)
    assert r.returncode == 3
    assert r.stdout == ""
    assert r.stderr.startswith(f"smtp.monitor: {message}")
    assert "Try 'smtp.monitor --help'" in r.stderr


def test_help_lists_every_option_and_exit_codes():
    r = smtp("--help")
    assert r.returncode == 0
    for opt in ("--port", "--timeout", "--starttls", "--tls", "--cert-days",
                "--insecure", "--cacert", "--expect", "--ehlo", "--warn",
                "--crit", "-4", "-6", "--help"):
        assert opt in r.stdout, opt
    assert "Exit status: 0 all ok, 1 warning, 2 critical, 3" in r.stdout


def test_deadline_with_1000_silent_hosts():
    with SilentHosts(1000) as silent:
        t0 = time.monotonic()
        r = smtp("-t", "2", "-p", str(silent.port), *silent.addrs,
                 timeout=120)
        elapsed = time.monotonic() - t0
    assert r.returncode == 2
    summary, _, details = parse_output(r.stdout)
    assert sorted(summary) == sorted(silent.addrs)
    assert summary == sorted(summary)
    assert len(details) == 1000
    for lines in details.values():
        assert re.match(r"CRITICAL timeout after [0-9.]+ s waiting for banner",
                        lines[0])
    assert elapsed < 10, elapsed   # generous: one 2 s deadline for all
