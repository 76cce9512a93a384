"""mond's HTTP server end to end: the status page, the JSON API, /metrics
and the actions, served by a real mond with a failing and an ok service.

What a user sees: status codes, JSON documents, the page's text (escaped),
Prometheus text that parses (promtool when installed, else the format
rules checked here), authentication refused and accepted, CSRF refused,
bounded and malformed requests answered, and actions taking effect.
"""
import os
import re
import shutil
import signal
import socket
import subprocess

import pytest

from conftest import free_port, run, wait_until
from webfixtures import MOND, WebMond

pytestmark = pytest.mark.skipif(not os.path.exists(MOND),
                                reason="mond not built")

ALICE = ("alice", "secret")
BOB = ("bob", "hunter2")
XRW = {"X-Requested-With": "test"}


@pytest.fixture
def web(tmp_path):
    m = WebMond(str(tmp_path))
    m.start()
    yield m
    m.stop()
    assert "Sanitizer" not in m.log(), m.log()


@pytest.fixture
def failing(web):
    web.wait_state("bad", "failing")
    web.wait_state("ok", "ok")
    return web


def test_status_json(failing):
    doc = failing.get_json("/api/v1/status")
    assert doc["counts"]["failing"] == 1 and doc["counts"]["ok"] == 1
    first, second = doc["services"]
    assert (first["service"], first["state"]) == ("bad", "failing")
    assert first["summary"] == "h1 <script>alert(1)</script> 応答なし"
    assert first["since"] == first["first_failure"] > 0
    assert first["last_check"] >= first["since"]
    assert first["acked"] is False and first["failures"] >= 1
    assert (second["service"], second["state"]) == ("ok", "ok")
    assert second["description"] == "メールサーバ (mail)"


def test_service_json(failing):
    wait_until(lambda: len(failing.get_json(
        "/api/v1/services/web/ok")["recent"]) >= 2, what="two checks")
    s = failing.get_json("/api/v1/services/web/ok")
    assert s["hosts"] == ["h1", "h2"]
    assert s["output"].startswith("all fine | h1_time=0.012s")
    assert s["summary"] == "all fine"
    assert all(c["ok"] and c["exit"] == 0 for c in s["recent"])
    assert s["recent"][-1]["response_ms"] == pytest.approx(12.0)
    labels = {(m["host"], m["label"]): m for m in s["metrics"]}
    assert labels[("h1", "time")]["value"] == pytest.approx(0.012)
    assert labels[("h1", "time")]["unit"] == "s"
    assert labels[("", "size")]["unit"] == "B"
    assert s["uptime"]["24h"] == pytest.approx(1.0)
    bad = failing.get_json("/api/v1/services/web/bad")
    assert bad["detail"] == "detail: connection refused\n"
    assert bad["recent"][-1]["ok"] is False and bad["recent"][-1]["exit"] == 2
    # the failure going on now counts as downtime (whole seconds)
    bad = wait_until(lambda: (lambda b: b["uptime"]["24h"] < 1.0 and b)(
        failing.get_json("/api/v1/services/web/bad")), what="downtime")
    down_s = (bad["now"] - bad["first_failure"]) / 1000
    assert bad["uptime"]["24h"] == pytest.approx(1 - down_s / 86400, abs=2e-5)


def test_uptime_from_downtime_log(web):
    web.wait_state("bad", "failing")
    web.set_bad(0, "fine again\n")
    web.wait_state("bad", "ok")
    dtlog = web.path("log", "downtime.log")
    wait_until(lambda: os.path.exists(dtlog) and " web bad " in open(dtlog).read(),
               what="a downtime log line")
    line = [l for l in open(dtlog) if " web bad " in l][0].split()
    down = int(line[4])
    s = web.get_json("/api/v1/services/web/bad")
    assert s["uptime"]["24h"] == pytest.approx(1 - down / 86400, abs=1e-9)
    assert s["uptime"]["30d"] == pytest.approx(1 - down / (30 * 86400),
                                               abs=1e-9)


def test_alerts_json(failing):
    doc = failing.get_json("/api/v1/alerts")
    assert [s["service"] for s in doc["failing"]] == ["bad"]
    assert isinstance(doc["history"], list)
    assert doc["spool"]["depth"] in (0, None)


def test_page_escapes_and_orders(failing):
    st, hdr, body = failing.request("GET", "/")
    assert st == 200 and hdr["Content-Type"] == "text/html; charset=utf-8"
    page = body.decode("utf-8")
    assert "<script>alert" not in page
    assert "h1 &lt;script&gt;alert(1)&lt;/script&gt; 応答なし" in page
    assert page.index("web/bad") < page.index("web/ok")
    assert ">failing</span>" in page
    st, _, body = failing.request("GET", "/service/web/ok")
    assert st == 200
    page = body.decode("utf-8")
    assert "メールサーバ (mail)" in page and "<svg" in page
    for path, ctype in (("/static/mond.css", "text/css"),
                        ("/static/mond.js", "text/javascript")):
        st, hdr, body = failing.request("GET", path)
        assert st == 200 and hdr["Content-Type"].startswith(ctype)
        assert len(body) > 500


def test_head_and_not_found(failing):
    st, hdr, body = failing.request("HEAD", "/api/v1/status")
    assert st == 200 and body == b"" and int(hdr["Content-Length"]) > 0
    for path in ("/api/v1/services/web/nope", "/api/v1/nothing",
                 "/api/v1/services/web/ok/x/y"):
        st, hdr, body = failing.request("GET", path)
        assert st == 404, path
        assert hdr["Content-Type"].startswith("application/json")
        assert "error" in __import__("json").loads(body)
    st, _, _ = failing.request("GET", "/service/web/nope")
    assert st == 404
    st, _, _ = failing.request("GET", "/nothing")
    assert st == 404
    st, hdr, _ = failing.request("GET", "/api/v1/services/web/ok/ack")
    assert st == 405 and hdr["Allow"] == "POST"
    st, hdr, _ = failing.request("DELETE", "/api/v1/status")
    assert st == 405 and "GET" in hdr["Allow"]


PROM_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
PROM_LABELS = r'\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\}'
PROM_VALUE = r"(?:[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)|NaN|[-+]Inf)"
PROM_SAMPLE = re.compile(rf"^({PROM_NAME})(?:{PROM_LABELS})? {PROM_VALUE}$")


def check_prometheus(text):
    """The text exposition format's rules: TYPE before samples, each
    family once, samples of a family together, well-formed lines."""
    types, seen_done, current = {}, set(), None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert name not in types, f"family {name} twice"
            assert kind in ("gauge", "counter", "histogram", "summary",
                            "untyped")
            types[name] = kind
            if current:
                seen_done.add(current)
            current = name
            continue
        m = PROM_SAMPLE.match(line)
        assert m, f"bad sample line: {line!r}"
        name = m.group(1)
        base = re.sub(r"_(bucket|sum|count)$", "", name) \
            if types.get(re.sub(r"_(bucket|sum|count)$", "", name)) == \
            "histogram" else name
        assert base == current, f"{name} outside its family ({current})"
    return types


def test_metrics(failing):
    wait_until(lambda: "mond_perfdata{" in failing.request(
        "GET", "/metrics")[2].decode(), what="perfdata in /metrics")
    st, hdr, body = failing.request("GET", "/metrics")
    assert st == 200
    assert hdr["Content-Type"].startswith("text/plain; version=0.0.4")
    text = body.decode()
    types = check_prometheus(text)
    assert types["mond_check_lateness_seconds"] == "histogram"
    assert types["mond_service_failures_total"] == "counter"
    assert 'mond_service_up{group="web",service="bad"} 0' in text
    assert 'mond_service_up{group="web",service="ok"} 1' in text
    assert ('mond_perfdata{group="web",service="ok",host="h1",label="time",'
            'unit="s"} 0.012') in text
    assert 'mond_service_state{group="web",service="bad",state="failing"} 1' \
        in text
    assert "mond_config_last_reload_successful 1" in text
    assert re.search(r"^mond_children_running \d+$", text, re.M)
    assert re.search(r"^mond_spawn_holds_total \d+$", text, re.M)
    inf = re.search(r'^mond_check_lateness_seconds_bucket\{le="\+Inf"\} (\d+)$',
                    text, re.M)
    count = re.search(r"^mond_check_lateness_seconds_count (\d+)$", text, re.M)
    assert inf and count and inf.group(1) == count.group(1) and \
        int(count.group(1)) >= 2
    promtool = shutil.which("promtool")
    if promtool:
        r = run([promtool, "check", "metrics"], input=text)
        assert r.returncode == 0, r.stdout + r.stderr


def test_reload_status_in_metrics(web):
    web.write("mon.cf", open(web.path("mon.cf")).read() + "\nwatch\n")
    web.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: "mond_config_last_reload_successful 0" in
               web.request("GET", "/metrics")[2].decode(),
               what="the failed reload in /metrics")
    assert "mond_config_reload_failures_total 1" in \
        web.request("GET", "/metrics")[2].decode()


def test_actions_need_auth(failing):
    path = "/api/v1/services/web/bad/ack"
    st, hdr, body = failing.post(path, {"comment": "x"},
                                    headers=XRW)
    assert st == 401 and hdr["WWW-Authenticate"].startswith("Basic")
    st, _, _ = failing.post(path, {}, headers=XRW,
                               user=("alice", "wrong"))
    assert st == 401
    st, _, _ = failing.post(path, {}, headers=XRW,
                               user=("mallory", "secret"))
    assert st == 401
    assert failing.status()[("web", "bad")]["acked"] is False
    # bob may ack but not disable (auth.cf)
    st, _, body = failing.post("/api/v1/services/web/ok/disable",
                                  headers=XRW, user=BOB)
    assert st == 403 and b"may not disable" in body
    assert failing.status()[("web", "ok")]["disabled"] is False


def test_ack_disable_enable_test(failing):
    base = "/api/v1/services/web/"
    st, _, body = failing.post(base + "bad/ack",
                                  {"comment": "on it — 対応中"},
                                  headers=XRW, user=BOB)
    assert st == 200, body
    s = failing.status()[("web", "bad")]
    assert (s["state"], s["acked"], s["ack_comment"]) == \
        ("acknowledged", True, "on it — 対応中")
    assert "http: bob from 127.0.0.1: ack web/bad" in failing.log()
    # an ok service cannot be acknowledged
    st, _, _ = failing.post(base + "ok/ack", headers=XRW,
                               user=ALICE)
    assert st == 409
    st, _, _ = failing.post(base + "ok/disable", headers=XRW,
                               user=ALICE)
    assert st == 200
    assert failing.status()[("web", "ok")]["state"] == "disabled"
    st, _, _ = failing.post(base + "ok/enable", headers=XRW,
                               user=ALICE)
    assert st == 200
    assert failing.status()[("web", "ok")]["state"] == "ok"
    before = failing.status()[("web", "ok")]["last_check"]
    st, _, _ = failing.post(base + "ok/test", headers=XRW,
                               user=ALICE)
    assert st in (200, 409)     # 409: it happened to be running
    wait_until(lambda: failing.status()[("web", "ok")]["last_check"] > before,
               what="a new check")
    st, _, _ = failing.post(base + "nope/test", headers=XRW,
                               user=ALICE)
    assert st == 404
    st, _, _ = failing.post(base + "ok/reboot", headers=XRW,
                               user=ALICE)
    assert st == 404


def test_csrf_refused(failing):
    path = "/api/v1/services/web/bad/ack"
    cases = [
        {},                                              # a plain form post
        {"X-Requested-With": "x", "Origin": "http://evil.example"},
        {"X-Requested-With": "x", "Sec-Fetch-Site": "cross-site"},
    ]
    for h in cases:
        st, _, body = failing.request(
            "POST", path, "comment=pwned", user=ALICE,
            headers={**h, "Content-Type": "application/x-www-form-urlencoded"})
        assert st == 403 and b"CSRF" in body, (h, st, body)
    assert failing.status()[("web", "bad")]["acked"] is False
    # same origin is fine
    origin = f"http://127.0.0.1:{failing.port}"
    st, _, body = failing.post(path, {"comment": "ok"}, user=ALICE,
                                  headers={"X-Requested-With": "x",
                                           "Origin": origin,
                                           "Host": f"127.0.0.1:{failing.port}"})
    assert st == 200, body


def test_malformed_and_oversized(failing):
    path = "/api/v1/services/web/bad/ack"
    st, _, body = failing.post(path, "{not json", headers=XRW,
                                  user=ALICE)
    assert st == 400 and b"JSON object" in body
    st, _, body = failing.post(path, {"comment": 5}, headers=XRW,
                                  user=ALICE)
    assert st == 400
    st, _, body = failing.post(path, "x" * (17 * 1024),
                                  headers=XRW, user=ALICE)
    assert st == 413
    # chunked, no Content-Length: bounded all the same
    with socket.create_connection(("127.0.0.1", failing.port), timeout=10) as s:
        chunk = b"x" * 4096
        req = (f"POST {path} HTTP/1.1\r\nHost: x\r\nX-Requested-With: t\r\n"
               "Transfer-Encoding: chunked\r\n\r\n").encode()
        req += b"".join(b"1000\r\n" + chunk + b"\r\n" for _ in range(6))
        req += b"0\r\n\r\n"
        s.sendall(req)
        assert s.recv(64).startswith(b"HTTP/1.1 413")
    # a request line that is not HTTP, and headers past the memory bound
    for raw in (b"GARBAGE\r\n\r\n",
                b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 +
                b"\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", failing.port),
                                      timeout=10) as s:
            try:
                s.sendall(raw)
                reply = s.recv(64)
            except ConnectionResetError:
                reply = b""
            assert reply == b"" or re.match(rb"HTTP/1\.[01] (400|413|431)",
                                            reply), reply
    assert failing.status()[("web", "bad")]["acked"] is False
    # still serving
    assert failing.request("GET", "/api/v1/status")[0] == 200


def test_http_off_and_port_taken(tmp_path):
    m = WebMond(str(tmp_path / "a"))
    os.makedirs(m.tmp, exist_ok=True)
    # the port is taken: mond warns and keeps monitoring
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", m.port))
    blocker.listen(1)
    try:
        m.config()
        errf = open(m.stderr_path, "w")
        m.errf = errf
        m.proc = subprocess.Popen(
            [MOND, "-c", m.path("mon.cf"), "-s", m.path("mon.d"),
             "-a", m.path("alert.d"), "-D", m.path("state"),
             "-L", m.path("log")],
            stdin=subprocess.DEVNULL, stdout=errf, stderr=errf)
        wait_until(lambda: f"http: cannot listen on 127.0.0.1:{m.port}, "
                   "no status page: Address already in use" in m.log(),
                   what="the bind warning")
        wait_until(lambda: "web/bad: untested -> fail" in m.log(),
                   what="monitoring to go on")
        assert m.proc.poll() is None
    finally:
        m.stop()
        blocker.close()
    # httpport 0: no HTTP server at all
    m = WebMond(str(tmp_path / "b"))
    m.port = 0
    m.config()
    m.errf = open(m.stderr_path, "w")
    m.proc = subprocess.Popen(
        [MOND, "-c", m.path("mon.cf"), "-s", m.path("mon.d"),
         "-a", m.path("alert.d"), "-D", m.path("state"), "-L", m.path("log")],
        stdin=subprocess.DEVNULL, stdout=m.errf, stderr=m.errf)
    try:
        wait_until(lambda: "web/bad: untested -> fail" in m.log(),
                   what="monitoring without HTTP")
        assert "http:" not in m.log()
    finally:
        m.stop()


def test_refused_password_pause(failing):
    """After a refused password mond checks no other for 250 ms (crypt
    runs in the event loop): 429, nothing done, then accepted."""
    path = "/api/v1/services/web/bad/ack"
    st, _, _ = failing.request("POST", path, {}, headers=XRW,
                               user=("alice", "wrong"))
    assert st == 401
    st, hdr, body = failing.request("POST", path, {"comment": "x"},
                                    headers=XRW, user=ALICE)
    if st == 429:
        assert b"try again" in body
        assert failing.status()[("web", "bad")]["acked"] is False
    else:
        assert st == 200    # the machine took more than 250 ms
    st, _, _ = failing.post(path, {"comment": "x"}, headers=XRW, user=ALICE)
    assert st in (200, 409)     # 409: the first try got through
    assert failing.status()[("web", "bad")]["acked"] is True


def test_read_access_login_requires_a_login_even_on_loopback(tmp_path):
    m = WebMond(str(tmp_path))
    m.start("http_read_access = login")
    try:
        for path in ("/", "/api/v1/status", "/metrics"):
            st, hdr, _ = m.request("GET", path)
            assert st == 401, path
            assert hdr["WWW-Authenticate"].startswith("Basic")
        st, _, body = m.request("GET", "/api/v1/status", user=BOB)
        assert st == 200 and b'"services"' in body
    finally:
        m.stop()


def test_read_access_bad_value_is_a_config_error(tmp_path):
    m = WebMond(str(tmp_path))
    m.config("http_read_access = everyone")
    r = subprocess.run([MOND, "-t", "-c", m.path("mon.cf")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert ("mon.cf:7:20: error: http_read_access: found \"everyone\", "
            "expected loopback, any or login") in r.stderr
