"""http.monitor against python's http.server on loopback (plain and TLS
with test certificates): status, body, redirects, virtual host header,
timeouts, certificate verification and expiry, bad arguments, and 1,000
silent hosts under one deadline."""
import http.server
import re
import ssl
import threading
import time

import pytest

from conftest import build_path, free_port, run
from netfixtures import SilentHosts, make_cert, parse_output

HTTP = build_path("monitors", "http.monitor")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/":
            body = b"hello mond\n"
            self.send_response(200)
        elif self.path == "/moved":
            body = b"moved\n"
            self.send_response(301)
            self.send_header("Location", "/")
        elif self.path == "/vhost":
            body = ("host=%s\n" % self.headers.get("Host")).encode()
            self.send_response(200)
        else:
            body = b"no such page\n"
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server:
    def __init__(self, certfile=None, keyfile=None):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        self.httpd.daemon_threads = True
        if certfile:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(certfile, keyfile)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                                server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def web():
    s = Server()
    yield s
    s.close()


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("certs"))
    return {"good": make_cert(d, "good", -1, 200.5),
            "soon": make_cert(d, "soon", -1, 5.5),
            "expired": make_cert(d, "expired", -30, -2.5)}


def http_mon(*args, timeout=60):
    return run([HTTP, *args], timeout=timeout)


def test_ok_url_and_host_forms(web):
    url = f"http://127.0.0.1:{web.port}/"
    r = http_mon("-e", "^hello mond$", url)
    assert r.returncode == 0, r.stdout
    summary, perf, details = parse_output(r.stdout)
    assert summary == []
    assert re.match(r"ok HTTP 200, 11 bytes in [0-9.]+ ms \(connect [0-9.]+ ms,"
                    r" first byte [0-9.]+ ms\)$", details[url][0])
    assert f"{url}_time=" in perf and f"{url}_size=11B" in perf
    r = http_mon("--port", str(web.port), "--path", "/", "127.0.0.1")
    assert r.returncode == 0, r.stdout
    assert parse_output(r.stdout)[2]["127.0.0.1"][0].startswith(
        "ok HTTP 200, 11 bytes")


def test_status_mismatch(web):
    url = f"http://127.0.0.1:{web.port}/missing"
    r = http_mon(url)
    assert r.returncode == 2
    summary, _, details = parse_output(r.stdout)
    assert summary == [url]
    assert details[url][0].endswith("; status 404, expected 2xx or 3xx")
    assert http_mon("--status", "404", url).returncode == 0


def test_redirects(web):
    url = f"http://127.0.0.1:{web.port}/moved"
    assert http_mon("--status", "200,301", url).returncode == 0
    r = http_mon("--status", "200", url)
    assert r.returncode == 2
    assert "status 301, expected 200" in r.stdout
    r = http_mon("-L", "--status", "200", "-e", "hello", url)
    assert r.returncode == 0, r.stdout


def test_body_mismatch(web):
    url = f"http://127.0.0.1:{web.port}/"
    r = http_mon("--expect", "goodbye", url)
    assert r.returncode == 2
    assert parse_output(r.stdout)[2][url][0].endswith(
        '; body does not match --expect "goodbye"')


def test_host_header(web):
    r = http_mon("--port", str(web.port), "--path", "/vhost",
                 "--host-header", "www.example.org",
                 "-e", "^host=www.example.org$", "127.0.0.1")
    assert r.returncode == 0, r.stdout


def test_refused_and_mixed_summary(web):
    closed = free_port()
    good = f"http://127.0.0.1:{web.port}/"
    bad = f"http://127.0.0.1:{closed}/"
    r = http_mon(good, bad)
    assert r.returncode == 2
    summary, _, details = parse_output(r.stdout)
    assert summary == [bad]
    assert details[bad][0].startswith("CRITICAL Failed to connect to "
                                      f"127.0.0.1 port {closed}")


def test_timeout_waiting_for_response():
    with SilentHosts(1) as silent:
        url = f"http://{silent.addrs[0]}:{silent.port}/"
        r = http_mon("-t", "1", url)
    assert r.returncode == 2
    assert re.match(r"CRITICAL timeout after 1\.[0-9]+ s waiting for "
                    r"response$", parse_output(r.stdout)[2][url][0])


def test_tls_self_signed(certs):
    cert, key = certs["good"]
    s = Server(cert, key)
    try:
        url = f"https://127.0.0.1:{s.port}/"
        untrusted = http_mon(url)
        trusted = http_mon("--cacert", cert, "--cert-days", "30", url)
        insecure = http_mon("--insecure", url)
        by_host = http_mon("--https", "--port", str(s.port), "--cacert", cert,
                           "localhost")
    finally:
        s.close()
    assert untrusted.returncode == 2
    assert re.search(r"CRITICAL SSL certificate problem: self.signed "
                     r"certificate", untrusted.stdout)
    assert trusted.returncode == 0, trusted.stdout
    assert re.match(r"ok HTTP 200, 11 bytes in .*\(connect [0-9.]+ ms, TLS "
                    r"[0-9.]+ ms, first byte [0-9.]+ ms\); certificate "
                    r"expires in 200 days$",
                    parse_output(trusted.stdout)[2][url][0])
    assert insecure.returncode == 0, insecure.stdout
    assert by_host.returncode == 0, by_host.stdout


def test_tls_certificate_expiring_and_expired(certs):
    soon = Server(*certs["soon"])
    expired = Server(*certs["expired"])
    try:
        u_soon = f"https://127.0.0.1:{soon.port}/"
        u_exp = f"https://127.0.0.1:{expired.port}/"
        warn = http_mon("--cacert", certs["soon"][0], "--cert-days", "10",
                        u_soon)
        fine = http_mon("--cacert", certs["soon"][0], "--cert-days", "3",
                        u_soon)
        verified = http_mon("--cacert", certs["expired"][0], u_exp)
        unverified = http_mon("--insecure", u_exp)
    finally:
        soon.close()
        expired.close()
    assert warn.returncode == 1, warn.stdout
    assert parse_output(warn.stdout)[2][u_soon][0].endswith(
        "; certificate expires in 5 days (--cert-days 10)")
    assert fine.returncode == 0, fine.stdout
    assert verified.returncode == 2
    assert "certificate has expired" in verified.stdout
    assert unverified.returncode == 2
    assert parse_output(unverified.stdout)[2][u_exp][0].endswith(
        "; certificate expired 2 days ago")


@pytest.mark.parametrize("args,message", [
    ([], "no URL or host given"),
    (["--status", "20", "h"], '--status: bad status code "20"'),
    (["--status", "200,abc", "h"], '--status: bad status code "abc"'),
    (["--port", "-1", "h"], '--port: bad port "-1"'),
    (["-e", "(", "h"], "--expect: bad regular expression"),
    (["-w", "x", "h"], '--warn: expected a positive number of seconds'),
    (["--cacert", "/nonexistent/ca.pem", "h"], "--cacert: cannot read"),
    (["--bogus", "h"], "unknown option --bogus"),
])
def test_bad_arguments(args, message):
    r = http_mon(*args)
    assert r.returncode == 3
    assert r.stdout == ""
    assert r.stderr.startswith(f"http.monitor: {message}")
    assert "Try 'http.monitor --help'" in r.stderr


def test_help():
    r = http_mon("--help")
    assert r.returncode == 0
    for opt in ("--https", "--port", "--path", "--timeout", "--status",
                "--expect", "--warn", "--crit", "--follow", "--insecure",
                "--cacert", "--cert-days", "--host-header", "-4", "-6",
                "--help"):
        assert opt in r.stdout, opt
    assert "Exit status: 0 all ok, 1 warning, 2 critical, 3" in r.stdout


def test_deadline_with_1000_silent_hosts():
    with SilentHosts(1000) as silent:
        t0 = time.monotonic()
        r = http_mon("-t", "2", "--port", str(silent.port), *silent.addrs,
                     timeout=120)
        elapsed = time.monotonic() - t0
    assert r.returncode == 2
    summary, _, details = parse_output(r.stdout)
    assert summary == sorted(silent.addrs)
    assert len(details) == 1000
    assert all(re.match(r"CRITICAL timeout after [0-9.]+ s waiting for "
                        r"(response|connect)$", v[0])
               for v in details.values())
    assert elapsed < 10, elapsed
