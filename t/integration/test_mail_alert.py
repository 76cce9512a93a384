"""mail.alert as mond runs it (argv, a clean MON_* environment, summary
and detail on stdin) against a real Postfix on loopback delivering to
Maildirs, and against a small test SMTP server that enforces STARTTLS and
AUTH (Postfix's own SASL needs Dovecot or Cyrus, too heavy for a test).
Delivered messages are parsed with Python's email package, as a mail
client would."""
import base64
import email
import email.policy
import email.utils
import glob
import os
import pwd
import shutil
import socket
import socketserver
import ssl
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import build_path, free_port, kill_pid, run, wait_until

MAIL_ALERT = build_path("alerts", "mail.alert")
POSTFIX = "/usr/sbin/postfix"
JP_SUMMARY = "ウェブサーバー web1 が応答しません（接続タイムアウト）"
JP_DESCR = "本番ウェブサーバー群"

if not os.path.exists(MAIL_ALERT):
    pytest.skip(f"{MAIL_ALERT} not built", allow_module_level=True)


def mon_env(**extra):
    """The environment mond gives an alert: nothing but MON_* and PATH."""
    env = {"PATH": "/usr/bin:/bin", "TZ": "UTC",
           "MON_ALERTTYPE": "failure", "MON_RETVAL": "2",
           "MON_OPSTATUS": "0", "MON_DESCRIPTION": JP_DESCR}
    env.update(extra)
    return env


def mon_args(group, service="http", hosts="web1 web2", t=None,
             alertevery="3600", extra=()):
    t = t or int(time.time())
    return [MAIL_ALERT, "-s", service, "-g", group, "-h", hosts,
            "-t", str(t), "-l", alertevery, *extra]


def run_alert(argv, stdin, env):
    return subprocess.run(argv, input=stdin.encode(), env=env,
                          capture_output=True, timeout=60)


# ---- Postfix on loopback ---------------------------------------------------

class Postfix:
    """A private Postfix instance: smtpd on 127.0.0.1:port, virtual
    mailboxes alice/bob/carol@example.test delivered to Maildirs under
    dir/mail, later@example.test refused with 450, others with 550."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="mond-postfix-")
        os.chmod(self.dir, 0o755)      # postfix and nobody traverse it
        self.port = free_port()
        self.proc = None

    def start(self):
        d = self.dir
        nobody = pwd.getpwnam("nobody")
        os.makedirs(f"{d}/mail")
        os.chown(f"{d}/mail", nobody.pw_uid, nobody.pw_gid)
        os.makedirs(f"{d}/queue")
        os.makedirs(f"{d}/data")
        pf = pwd.getpwnam("postfix")
        os.chown(f"{d}/data", pf.pw_uid, pf.pw_gid)
        with open(f"{d}/vmailbox", "w") as f:
            for u in ("alice", "bob", "carol"):
                f.write(f"{u}@example.test {u}/\n")
        with open(f"{d}/rcpt_access", "w") as f:
            f.write("later@example.test 450 4.2.0 try again later\n")
        with open(f"{d}/main.cf", "w") as f:
            f.write(f"""compatibility_level = 3.6
queue_directory = {d}/queue
data_directory = {d}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mond-test.localdomain
mydomain = localdomain
myorigin = localdomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains =
relayhost =
virtual_mailbox_domains = example.test
virtual_mailbox_base = {d}/mail
virtual_mailbox_maps = texthash:{d}/vmailbox
virtual_uid_maps = static:{nobody.pw_uid}
virtual_gid_maps = static:{nobody.pw_gid}
virtual_minimum_uid = 1
smtpd_recipient_restrictions = check_recipient_access texthash:{d}/rcpt_access, permit_mynetworks, reject_unauth_destination
maillog_file = {d}/maillog
maillog_file_prefixes = {d}
smtputf8_enable = no
alias_maps =
alias_database =
biff = no
""")
        services = [
            f"127.0.0.1:{self.port} inet n - n - - smtpd",
            "cleanup unix n - n - 0 cleanup",
            "qmgr unix n - n 300 1 qmgr",
            "rewrite unix - - n - - trivial-rewrite",
            "bounce unix - - n - 0 bounce",
            "defer unix - - n - 0 bounce",
            "trace unix - - n - 0 bounce",
            "verify unix - - n - 1 verify",
            "flush unix n - n 1000? 0 flush",
            "proxymap unix - - n - - proxymap",
            "smtp unix - - n - - smtp",
            "relay unix - - n - - smtp",
            "showq unix n - n - - showq",
            "error unix - - n - - error",
            "retry unix - - n - - error",
            "discard unix - - n - - discard",
            "local unix - n n - - local",
            "virtual unix - n n - - virtual",
            "anvil unix - - n - 1 anvil",
            "scache unix - - n - 1 scache",
            "postlog unix-dgram n - n - 1 postlogd",
        ]
        with open(f"{d}/master.cf", "w") as f:
            f.write("\n".join(services) + "\n")
        self.out = open(f"{d}/start.out", "w")
        self.proc = subprocess.Popen([POSTFIX, "-c", d, "start-fg"],
                                     stdout=self.out,
                                     stderr=subprocess.STDOUT)

        def listening():
            if self.proc.poll() is not None:
                return "exited"
            try:
                with socket.create_connection(("127.0.0.1", self.port), 1):
                    return "up"
            except OSError:
                return None
        state = wait_until(listening, timeout=30, what="postfix smtpd")
        if state != "up":
            log = ""
            if os.path.exists(f"{d}/maillog"):
                log = open(f"{d}/maillog").read()[-2000:]
            raise RuntimeError(f"postfix did not start: {log}")

    def stop(self):
        if self.proc is not None:
            subprocess.run([POSTFIX, "-c", self.dir, "stop"],
                           capture_output=True, timeout=60)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                kill_pid(self.proc)
            self.out.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def messages(self, user):
        """Parsed messages in user's Maildir (new/)."""
        out = []
        for p in sorted(glob.glob(f"{self.dir}/mail/{user}/new/*")):
            with open(p, "rb") as f:
                raw = f.read()
            m = email.message_from_bytes(raw, policy=email.policy.default)
            m.raw_bytes = raw       # as delivered, before any re-folding
            out.append(m)
        return out

    def wait_message(self, user, marker):
        """The one message for user whose Subject contains marker."""
        def find():
            for m in self.messages(user):
                if marker in str(m["Subject"]):
                    return m
            return None
        return wait_until(find, timeout=30,
                          what=f"mail for {user} with {marker!r}")


@pytest.fixture(scope="module")
def postfix():
    if os.geteuid() != 0:
        pytest.skip("starting Postfix needs root")
    if not os.path.exists(POSTFIX):
        pytest.skip("postfix not installed (deps/test.txt)")
    pf = Postfix()
    try:
        pf.start()
    except (RuntimeError, OSError, KeyError) as e:
        pf.stop()
        pytest.skip(f"cannot start Postfix: {e}")
    yield pf
    pf.stop()


def smtp_url(pf):
    return f"smtp://127.0.0.1:{pf.port}"


def test_failure_alert_japanese_readable(postfix):
    t = int(time.time())
    argv = mon_args("jpweb", t=t) + [
        "--smtp", smtp_url(postfix), "--from", "mond@example.test",
        "alice@example.test", "bob@example.test"]
    env = mon_env(MON_FIRST_FAILURE=str(t - 300))
    r = run_alert(argv, JP_SUMMARY + "\nweb1: connect timeout after 10s\n"
                  "web2: ok\n", env)
    assert r.returncode == 0, r.stderr.decode()
    for user in ("alice", "bob"):
        m = postfix.wait_message(user, "jpweb")
        assert str(m["Subject"]) == f"ALERT jpweb/http: {JP_SUMMARY}"
        # the raw header is 7-bit encoded words on lines within 78
        raw = m.raw_bytes.split(b"\n\n", 1)[0]
        assert b"\nSubject: =?UTF-8?B?" in raw
        for line in raw.split(b"\n"):
            assert len(line.rstrip(b"\r")) <= 78, line
            line.decode("ascii")
        assert email.utils.parsedate_to_datetime(str(m["Date"])).timestamp() \
            == pytest.approx(time.time(), abs=3600)
        assert str(m["Message-ID"]).startswith("<")
        assert str(m["Message-ID"]).endswith("@example.test>")
        assert str(m["From"]) == "mond@example.test"
        assert str(m["To"]) == "alice@example.test, bob@example.test"
        assert m["Delivered-To"] == f"{user}@example.test"
        assert m.get_content_type() == "text/plain"
        assert m["Content-Transfer-Encoding"] == "quoted-printable"
        body = m.get_content()
        assert f"Summary      : {JP_SUMMARY}\n" in body
        assert f"Description  : {JP_DESCR}\n" in body
        assert "Hosts        : web1 web2\n" in body
        assert "Alert type   : failure (exit 2)\n" in body
        assert "Failing for  : 5m 0s" in body
        assert "Next alert   : not before" in body
        assert "(every 1h 0m)" in body
        assert "Detail:\nweb1: connect timeout after 10s\nweb2: ok\n" in body
    # one Message-ID for the one message both received
    ids = {str(postfix.wait_message(u, "jpweb")["Message-ID"])
           for u in ("alice", "bob")}
    assert len(ids) == 1


def test_upalert(postfix):
    t = int(time.time())
    argv = mon_args("upgrp", t=t, extra=["-u"]) + [
        "--smtp", smtp_url(postfix), "--from", "mond@example.test",
        "alice@example.test"]
    env = mon_env(MON_ALERTTYPE="up", MON_RETVAL="0",
                  MON_FIRST_FAILURE=str(t - 7200))
    r = run_alert(argv, "web1 answers again\n", env)
    assert r.returncode == 0, r.stderr.decode()
    m = postfix.wait_message("alice", "upgrp")
    assert str(m["Subject"]) == "UPALERT upgrp/http: web1 answers again"
    body = m.get_content()
    assert "Was down for : 2h 0m" in body
    assert "Next alert" not in body


@pytest.mark.parametrize("alerttype,keyword", [
    ("startup", "STARTUP"), ("trap", "TRAP"), ("traptimeout", "TRAPTIMEOUT")])
def test_alert_types(postfix, alerttype, keyword):
    group = f"type{alerttype}"
    argv = mon_args(group) + ["--smtp", smtp_url(postfix),
                              "--from", "mond@example.test",
                              "carol@example.test"]
    r = run_alert(argv, "something\n", mon_env(MON_ALERTTYPE=alerttype))
    assert r.returncode == 0, r.stderr.decode()
    m = postfix.wait_message("carol", group)
    assert str(m["Subject"]) == f"{keyword} {group}/http: something"


def test_header_injection_adds_no_header(postfix):
    # A summary with a bare CR (mon's summary is the first LF-ended line)
    # and a -S summary with CRLF: neither may start a header.
    argv = mon_args("inject", extra=["-S", "x\r\nBcc: carol@example.test"]) + [
        "--smtp", smtp_url(postfix), "--from", "mond@example.test",
        "alice@example.test"]
    r = run_alert(argv, "ignored\n", mon_env())
    assert r.returncode == 0, r.stderr.decode()
    argv2 = mon_args("inject2") + [
        "--smtp", smtp_url(postfix), "--from", "mond@example.test",
        "alice@example.test"]
    r = run_alert(argv2, "y\rX-Injected: 1\rBcc: carol@example.test\n",
                  mon_env())
    assert r.returncode == 0, r.stderr.decode()
    m1 = postfix.wait_message("alice", "inject/")
    m2 = postfix.wait_message("alice", "inject2/")
    assert str(m1["Subject"]) == "ALERT inject/http: x  Bcc: carol@example.test"
    assert str(m2["Subject"]) == \
        "ALERT inject2/http: y X-Injected: 1 Bcc: carol@example.test"
    for m in (m1, m2):
        assert m["Bcc"] is None and m["X-Injected"] is None
        assert str(m["To"]) == "alice@example.test"
    # and carol got neither (only her own test's mails, if any)
    for m in postfix.messages("carol"):
        assert "inject" not in str(m["Subject"])


def test_permanent_refusal_of_one_recipient_is_delivered(postfix):
    argv = mon_args("perm") + ["--smtp", smtp_url(postfix),
                               "--from", "mond@example.test",
                               "nosuchuser@example.test", "bob@example.test"]
    r = run_alert(argv, "disk full\n", mon_env())
    err = r.stderr.decode()
    assert r.returncode == 0, err
    assert "nosuchuser@example.test refused permanently: 550" in err
    postfix.wait_message("bob", "perm/")


def test_temporary_refusal_means_retry(postfix):
    argv = mon_args("temp") + ["--smtp", smtp_url(postfix),
                               "--from", "mond@example.test",
                               "alice@example.test", "later@example.test"]
    r = run_alert(argv, "disk full\n", mon_env())
    err = r.stderr.decode()
    assert r.returncode == 1, err
    assert "later@example.test refused for now: 450" in err


def test_nothing_accepted_means_failure(postfix):
    argv = mon_args("none") + ["--smtp", smtp_url(postfix),
                               "--from", "mond@example.test",
                               "nosuchuser@example.test"]
    r = run_alert(argv, "disk full\n", mon_env())
    assert r.returncode == 1
    assert "refused permanently: 550" in r.stderr.decode()


def test_server_down_means_retry():
    port = free_port()
    argv = mon_args("down") + ["--smtp", f"smtp://127.0.0.1:{port}",
                               "--from", "mond@example.test",
                               "alice@example.test"]
    r = run_alert(argv, "x\n", mon_env())
    assert r.returncode == 1
    assert f"smtp://127.0.0.1:{port}: not sent:" in r.stderr.decode()


def test_bad_usage():
    r = run_alert([MAIL_ALERT, "-s", "x", "-g", "y", "not-an-address"], "",
                  mon_env())
    assert r.returncode == 2
    assert "recipient \"not-an-address\" is not an address" in \
        r.stderr.decode()
    r = run_alert([MAIL_ALERT, "--user", "u", "a@example.test"], "",
                  {"PATH": "/usr/bin:/bin"})
    assert r.returncode == 2
    assert "no password" in r.stderr.decode()
    r = run([MAIL_ALERT, "--help"])
    assert r.returncode == 0
    assert "exit status:" in r.stdout and "--password-file" in r.stdout


# ---- a test SMTP server that enforces STARTTLS and AUTH -------------------

class AuthSMTP(socketserver.ThreadingTCPServer):
    """SMTP submission server: STARTTLS required before AUTH, AUTH (PLAIN
    or LOGIN) required before MAIL.  Records accepted messages."""
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port, certfile, keyfile, user, password,
                 offer_starttls=True, implicit_tls=False):
        self.ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ctx.load_cert_chain(certfile, keyfile)
        self.user, self.password = user, password
        self.offer_starttls = offer_starttls and not implicit_tls
        self.implicit_tls = implicit_tls
        self.messages = []
        self.events = []
        super().__init__(("127.0.0.1", port), AuthHandler)


class AuthHandler(socketserver.StreamRequestHandler):
    timeout = 20

    def send(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        srv = self.server
        tls = authed = False
        rcpts = []
        if srv.implicit_tls:                # smtps: TLS from the first byte
            conn = srv.ctx.wrap_socket(self.connection, server_side=True)
            self.connection = conn
            self.rfile = conn.makefile("rb")
            self.wfile = conn.makefile("wb")
            tls = True
            srv.events.append("tls")
        self.send("220 test ESMTP")
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            cmd = line.decode("ascii", "replace").rstrip("\r\n")
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                caps = ["250-test"]
                if not tls and srv.offer_starttls:
                    caps.append("250-STARTTLS")
                if tls:
                    caps.append("250-AUTH PLAIN LOGIN")
                caps.append("250 8BITMIME")
                for c in caps:
                    self.send(c)
            elif verb == "STARTTLS" and not tls and srv.offer_starttls:
                self.send("220 go ahead")
                conn = srv.ctx.wrap_socket(self.connection, server_side=True)
                self.connection = conn
                self.rfile = conn.makefile("rb")
                self.wfile = conn.makefile("wb")
                tls = True
                srv.events.append("starttls")
            elif verb == "AUTH":
                if not tls:
                    self.send("530 5.7.0 Must issue a STARTTLS command first")
                    continue
                parts = cmd.split(" ")
                mech = parts[1].upper() if len(parts) > 1 else ""
                if mech == "PLAIN":
                    if len(parts) > 2:
                        resp = parts[2]
                    else:
                        self.send("334 ")
                        resp = self.rfile.readline().decode().strip()
                    _, u, p = base64.b64decode(resp).decode().split("\0")
                elif mech == "LOGIN":
                    self.send("334 VXNlcm5hbWU6")
                    u = base64.b64decode(self.rfile.readline().strip()).decode()
                    self.send("334 UGFzc3dvcmQ6")
                    p = base64.b64decode(self.rfile.readline().strip()).decode()
                else:
                    self.send("504 unknown mechanism")
                    continue
                if u == srv.user and p == srv.password:
                    authed = True
                    srv.events.append(f"auth {u}")
                    self.send("235 2.7.0 Authentication successful")
                else:
                    srv.events.append(f"auth failed {u}")
                    self.send("535 5.7.8 Authentication credentials invalid")
            elif verb == "MAIL":
                if not authed:
                    self.send("530 5.7.0 Authentication required")
                    continue
                rcpts = []
                self.send("250 ok")
            elif verb == "RCPT":
                rcpts.append(cmd.split(":", 1)[1].strip())
                self.send("250 ok")
            elif verb == "DATA":
                self.send("354 go")
                data = b""
                while True:
                    dl = self.rfile.readline()
                    if not dl or dl == b".\r\n":
                        break
                    data += dl
                srv.messages.append((rcpts, data))
                self.send("250 queued")
            elif verb == "QUIT":
                self.send("221 bye")
                return
            elif verb in ("RSET", "NOOP"):
                self.send("250 ok")
            else:
                self.send("502 unknown")


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    cert, key = str(d / "cert.pem"), str(d / "key.pem")
    r = run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-keyout", key, "-out", cert, "-days", "2", "-subj",
             "/CN=localhost", "-addext",
             "subjectAltName=IP:127.0.0.1,DNS:localhost"])
    if r.returncode != 0:
        pytest.skip(f"openssl cannot make a test certificate: {r.stderr}")
    return cert, key


@pytest.fixture
def auth_server(tls_files):
    servers = []

    def start(offer_starttls=True, implicit_tls=False):
        srv = AuthSMTP(free_port(), *tls_files, "alertuser", "s3cret pass",
                       offer_starttls=offer_starttls,
                       implicit_tls=implicit_tls)
        th = threading.Thread(target=srv.serve_forever, daemon=True)
        th.start()
        servers.append((srv, th))
        return srv
    yield start
    for srv, th in servers:
        srv.shutdown()
        srv.server_close()
        th.join(timeout=10)


def auth_argv(srv, tls_files, *extra):
    return mon_args("authgrp") + [
        "--smtp", f"smtp://127.0.0.1:{srv.server_address[1]}",
        "--from", "mond@example.test", "--user", "alertuser",
        "--starttls", "required", "--cacert", tls_files[0], *extra,
        "ops@example.test"]


def write_pw(tmp_path, pw, mode=0o600):
    p = tmp_path / "smtp.pw"
    p.write_text(pw + "\n")
    os.chmod(p, mode)
    return str(p)


def test_starttls_auth_password_file(auth_server, tls_files, tmp_path):
    srv = auth_server()
    pw = write_pw(tmp_path, "s3cret pass")
    r = run_alert(auth_argv(srv, tls_files, "--password-file", pw),
                  "web1 down\n", mon_env())
    assert r.returncode == 0, r.stderr.decode()
    assert srv.events == ["starttls", "auth alertuser"]
    assert len(srv.messages) == 1
    rcpts, data = srv.messages[0]
    assert rcpts == ["<ops@example.test>"]
    m = email.message_from_bytes(data, policy=email.policy.default)
    assert str(m["Subject"]) == "ALERT authgrp/http: web1 down"


def test_starttls_auth_password_from_environment(auth_server, tls_files):
    srv = auth_server()
    r = run_alert(auth_argv(srv, tls_files), "web1 down\n",
                  mon_env(MOND_SMTP_PASSWORD="s3cret pass"))
    assert r.returncode == 0, r.stderr.decode()
    assert len(srv.messages) == 1


def test_wrong_password_fails(auth_server, tls_files, tmp_path):
    srv = auth_server()
    pw = write_pw(tmp_path, "wrong")
    r = run_alert(auth_argv(srv, tls_files, "--password-file", pw),
                  "web1 down\n", mon_env())
    assert r.returncode == 1
    assert "not sent" in r.stderr.decode()
    assert srv.events == ["starttls", "auth failed alertuser"]
    assert srv.messages == []


def test_starttls_required_but_not_offered_fails(auth_server, tls_files,
                                                 tmp_path):
    srv = auth_server(offer_starttls=False)
    pw = write_pw(tmp_path, "s3cret pass")
    r = run_alert(auth_argv(srv, tls_files, "--password-file", pw),
                  "web1 down\n", mon_env())
    assert r.returncode == 1
    assert srv.events == [] and srv.messages == []


def test_untrusted_certificate_fails(auth_server, tls_files):
    srv = auth_server()
    argv = [a for a in auth_argv(srv, tls_files) if a != tls_files[0]]
    argv.remove("--cacert")
    r = run_alert(argv, "web1 down\n",
                  mon_env(MOND_SMTP_PASSWORD="s3cret pass"))
    assert r.returncode == 1
    assert srv.messages == []


def test_world_readable_password_file_refused(auth_server, tls_files,
                                              tmp_path):
    srv = auth_server()
    pw = write_pw(tmp_path, "s3cret pass", mode=0o644)
    r = run_alert(auth_argv(srv, tls_files, "--password-file", pw),
                  "web1 down\n", mon_env())
    assert r.returncode == 2
    assert "readable by others" in r.stderr.decode()


def test_smtps_implicit_tls(auth_server, tls_files):
    srv = auth_server(implicit_tls=True)
    argv = mon_args("smtpsgrp") + [
        "--smtp", f"smtps://127.0.0.1:{srv.server_address[1]}",
        "--from", "mond@example.test", "--user", "alertuser",
        "--cacert", tls_files[0], "ops@example.test"]
    r = run_alert(argv, "web1 down\n",
                  mon_env(MOND_SMTP_PASSWORD="s3cret pass"))
    assert r.returncode == 0, r.stderr.decode()
    assert srv.events == ["tls", "auth alertuser"]
    assert len(srv.messages) == 1


def test_verbose_hides_credentials(auth_server, tls_files):
    srv = auth_server()
    r = run_alert(auth_argv(srv, tls_files, "--verbose"), "web1 down\n",
                  mon_env(MOND_SMTP_PASSWORD="s3cret pass"))
    assert r.returncode == 0, r.stderr.decode()
    err = r.stderr.decode()
    assert "> RCPT TO:<ops@example.test>" in err
    secret = base64.b64encode(b"\0alertuser\0s3cret pass").decode()
    assert secret not in err and "s3cret" not in err
