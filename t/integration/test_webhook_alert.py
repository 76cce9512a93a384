"""webhook.alert against a local HTTP server that records each request:
the JSON shape of every --format, custom headers, and the exit status a
scheduler retries on (non-2xx, no server)."""
import http.server
import json
import os
import subprocess
import threading
import time

import pytest

from conftest import build_path, free_port, run

WEBHOOK = build_path("alerts", "webhook.alert")

if not os.path.exists(WEBHOOK):
    pytest.skip(f"{WEBHOOK} not built", allow_module_level=True)


class Recorder(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port):
        self.requests = []
        self.status = 200
        super().__init__(("127.0.0.1", port), Handler)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        self.server.requests.append(
            {"path": self.path, "headers": dict(self.headers), "body": body})
        status = self.server.status
        reply = b"ok" if status < 300 else b"internal trouble"
        self.send_response(status)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = Recorder(free_port())
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    th.join(timeout=10)


T = 1700000000


def alert(url, *opts, stdin="web1 down\nweb1: connect refused\n", up=False,
          env_extra=None):
    argv = [WEBHOOK, "-s", "http", "-g", "web", "-h", "web1 web2",
            "-t", str(T), "-l", "600", *(["-u"] if up else []), *opts, url]
    env = {"PATH": "/usr/bin:/bin", "MON_ALERTTYPE": "up" if up else "failure",
           "MON_RETVAL": "0" if up else "2", "MON_OPSTATUS": "0",
           "MON_DESCRIPTION": "ウェブ front ends"}
    env.update(env_extra or {})
    data = stdin if isinstance(stdin, bytes) else stdin.encode()
    return subprocess.run(argv, input=data, env=env,
                          capture_output=True, timeout=60)


def url(srv, path="/hook"):
    return f"http://127.0.0.1:{srv.server_address[1]}{path}"


def only_json(srv):
    assert len(srv.requests) == 1
    req = srv.requests[0]
    assert req["headers"]["Content-Type"] == "application/json"
    return req, json.loads(req["body"])


def test_generic(server):
    r = alert(url(server))
    assert r.returncode == 0, r.stderr
    req, j = only_json(server)
    assert req["path"] == "/hook"
    assert j == {
        "group": "web", "service": "http", "hosts": ["web1", "web2"],
        "type": "failure", "summary": "web1 down",
        "detail": "web1: connect refused\n", "time": T,
        "time_iso": "2023-11-14T22:13:20Z", "retval": 2,
        "description": "ウェブ front ends", "opstatus": "0",
        "subject": "ALERT web/http: web1 down"}


def test_generic_upalert(server):
    r = alert(url(server), up=True, stdin="web1 back\n")
    assert r.returncode == 0, r.stderr
    _, j = only_json(server)
    assert j["type"] == "up"
    assert j["subject"] == "UPALERT web/http: web1 back"
    assert j["detail"] == ""


def test_slack(server):
    r = alert(url(server), "--format", "slack")
    assert r.returncode == 0, r.stderr
    _, j = only_json(server)
    assert j == {"text": "*ALERT web/http: web1 down*\nhosts: web1 web2\n"
                         "```web1: connect refused\n```"}


def test_discord(server):
    r = alert(url(server), "--format", "discord")
    assert r.returncode == 0, r.stderr
    _, j = only_json(server)
    assert j["content"] == "ALERT web/http: web1 down"
    assert len(j["embeds"]) == 1
    e = j["embeds"][0]
    assert e["title"] == "ALERT web/http: web1 down"
    assert e["description"] == "web1: connect refused\n"
    assert e["timestamp"] == "2023-11-14T22:13:20Z"
    assert e["color"] == 0xe74c3c
    assert {"name": "hosts", "value": "web1 web2", "inline": True} \
        in e["fields"]


def test_ntfy_topic_from_url(server):
    r = alert(url(server, "/alerts-home"), "--format", "ntfy")
    assert r.returncode == 0, r.stderr
    req, j = only_json(server)
    assert req["path"] == "/"           # JSON publishing goes to the root
    assert j == {"topic": "alerts-home", "title": "ALERT web/http: web1 down",
                 "message": "web1 down\nhosts: web1 web2\n"
                            "web1: connect refused\n",
                 "priority": 4, "tags": ["rotating_light"]}


def test_custom_headers(server, tmp_path):
    hf = tmp_path / "headers"
    hf.write_text("# secret\nAuthorization: Bearer t0ken\n")
    r = alert(url(server), "-H", "X-Env: test", "--header-file", str(hf))
    assert r.returncode == 0, r.stderr
    req, _ = only_json(server)
    assert req["headers"]["X-Env"] == "test"
    assert req["headers"]["Authorization"] == "Bearer t0ken"


def test_server_error_means_retry(server):
    server.status = 500
    r = alert(url(server))
    assert r.returncode == 1
    assert "HTTP 500: internal trouble" in r.stderr.decode()
    server.status = 404
    r = alert(url(server))
    assert r.returncode == 1


def test_no_server_means_retry():
    r = alert(f"http://127.0.0.1:{free_port()}/hook", "--timeout", "5")
    assert r.returncode == 1
    assert "not sent" in r.stderr.decode()


def test_invalid_utf8_still_sent(server):
    # jansson refuses invalid UTF-8; the alert must still go out.
    r = alert(url(server), stdin=b"bad \xff byte\n")
    assert r.returncode == 0, r.stderr
    _, j = only_json(server)
    assert j["summary"] == "bad \ufffd byte"


def test_usage():
    r = alert("ftp://x/", "--format", "generic")
    assert r.returncode == 2
    assert "expected http:// or https://" in r.stderr.decode()
    r = alert("http://127.0.0.1:1/", "--format", "teams")
    assert r.returncode == 2
    assert "--format: expected generic, slack, discord or ntfy" in \
        r.stderr.decode()
    r = alert("http://127.0.0.1:1/", "-H", "no colon")
    assert r.returncode == 2
    r = run([WEBHOOK, "--help"])
    assert r.returncode == 0 and "exit status:" in r.stdout
