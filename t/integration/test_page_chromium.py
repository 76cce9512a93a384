"""The status page in a real browser: Debian's chromium, headless, driven
through the DevTools protocol (python3-websocket), loading the page of a
running mond with a failing and an ok service.

What a person sees: the failing service first with its summary (as text,
not markup), the page following a recovery without a reload, an
acknowledgement made through the service page's form.  Screenshots are
saved under MOND_BUILD/test-artifacts/ for a person to look at.
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import urllib.request

import pytest

from conftest import BUILD, build_path, kill_pid, run, wait_until
from webfixtures import MOND, WebMond

CHROMIUM = shutil.which("chromium")
try:
    import websocket        # Debian python3-websocket
except ImportError:         # pragma: no cover
    websocket = None

pytestmark = [
    pytest.mark.skipif(not os.path.exists(MOND), reason="mond not built"),
    pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed"),
    pytest.mark.skipif(websocket is None,
                       reason="python3-websocket not installed"),
]

ARTIFACTS = os.path.join(BUILD, "test-artifacts")


class Browser:
    """One headless chromium and a DevTools session on its first page."""

    def __init__(self, width=1100, height=700):
        self.dir = tempfile.mkdtemp(prefix="mond-chromium-")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
             f"--user-data-dir={self.dir}", "--remote-debugging-port=0",
             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        portfile = os.path.join(self.dir, "DevToolsActivePort")
        wait_until(lambda: os.path.exists(portfile) and
                   len(open(portfile).read().split()) >= 2, timeout=60,
                   what="chromium's DevTools port")
        port = open(portfile).read().split()[0]
        targets = wait_until(lambda: [t for t in json.load(urllib.request.urlopen(
            f"http://127.0.0.1:{port}/json/list", timeout=10))
            if t["type"] == "page"], timeout=30, what="a page target")
        self.ws = websocket.create_connection(
            targets[0]["webSocketDebuggerUrl"], timeout=30)
        self.seq = 0

    def call(self, method, **params):
        self.seq += 1
        self.ws.send(json.dumps({"id": self.seq, "method": method,
                                 "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.seq:
                assert "error" not in msg, msg
                return msg.get("result", {})

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        assert "exceptionDetails" not in r, r
        return r["result"].get("value")

    def goto(self, url):
        self.call("Page.enable")
        self.call("Page.navigate", url=url)
        wait_until(lambda: self.eval("document.readyState") == "complete",
                   timeout=30, what=f"{url} to load")

    def screenshot(self, name):
        os.makedirs(ARTIFACTS, exist_ok=True)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path = os.path.join(ARTIFACTS, name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
        kill_pid(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def web(tmp_path):
    m = WebMond(str(tmp_path))
    m.start()
    yield m
    m.stop()
    assert "Sanitizer" not in m.log(), m.log()


@pytest.fixture
def browser():
    b = Browser()
    yield b
    b.close()


ROWS = """Array.from(document.querySelectorAll('#rows tr')).map(function(r){
  return {cls: r.className, name: r.querySelector('.name').innerText,
          state: r.querySelector('.badge').innerText.toLowerCase(),
          summary: r.querySelector('.summary').innerText};})"""


def test_failing_first_then_recovers(web, browser):
    web.wait_state("bad", "failing")
    web.wait_state("ok", "ok")
    browser.goto(f"http://127.0.0.1:{web.port}/?refresh=0.3")
    rows = wait_until(lambda: (lambda r: len(r) == 2 and r)(browser.eval(ROWS)),
                      what="two rows")
    assert rows[0]["name"] == "web/bad" and rows[0]["state"] == "failing"
    assert "st-failing" in rows[0]["cls"]
    # the summary is text: the <script> in it did not become an element
    assert rows[0]["summary"].startswith("h1 <script>alert(1)</script> 応答なし")
    assert browser.eval("document.querySelectorAll('script').length") == 1
    assert rows[1]["name"] == "web/ok" and rows[1]["state"] == "ok"
    # the script's refresh has run (its "updated" stamp)
    wait_until(lambda: browser.eval(
        "document.getElementById('updated').textContent").startswith(
            "updated"), what="a refresh from the JSON API")
    browser.screenshot("page_failing.png")

    # recovery shows up without a reload: a marker on window survives
    browser.eval("window.__noReload = 42")
    web.set_bad(0, "back again\n")
    rows = wait_until(lambda: (lambda r: r and r[0]["state"] == "ok" and
                               r[1]["state"] == "ok" and r)(browser.eval(ROWS)),
                      what="the page to show the recovery")
    assert {r["name"]: r["summary"] for r in rows}["web/bad"] == "back again"
    assert browser.eval("window.__noReload") == 42
    browser.screenshot("page_recovered.png")


def test_narrow_and_dark(web):
    """Narrow screens get one card per service; dark mode is honoured."""
    web.wait_state("bad", "failing")
    b = Browser(width=420, height=800)
    try:
        b.call("Emulation.setEmulatedMedia",
               features=[{"name": "prefers-color-scheme", "value": "dark"}])
        b.goto(f"http://127.0.0.1:{web.port}/")
        assert b.eval("getComputedStyle(document.querySelector('#services "
                      "thead')).display") == "none"
        bg = b.eval("getComputedStyle(document.body).backgroundColor")
        assert bg == "rgb(17, 20, 24)", bg
        b.screenshot("page_narrow_dark.png")
    finally:
        b.close()


def test_ack_through_the_page(web, browser):
    web.wait_state("bad", "failing")
    browser.goto(f"http://127.0.0.1:{web.port}/service/web/bad?refresh=0.3")
    assert browser.eval("document.querySelector('h1').innerText").startswith(
        "web/bad")
    # the status bar of recent checks grows without a reload
    bars = browser.eval("document.querySelectorAll('#sec-bar rect').length")
    wait_until(lambda: browser.eval(
        "document.querySelectorAll('#sec-bar rect.fail').length") > bars,
        what="the status bar to show new checks")
    # without credentials: refused, nothing changes
    browser.eval("document.querySelector('button[data-action=ack]').click()")
    wait_until(lambda: browser.eval(
        "document.getElementById('result').textContent").startswith("refused"),
        what="the refusal")
    assert web.status()[("web", "bad")]["acked"] is False
    browser.eval("""(function(){var f=document.getElementById('actions');
        f.user.value='alice'; f.password.value='secret';
        f.comment.value='looking into it — 調査中';
        document.querySelector('button[data-action=ack]').click();})()""")
    wait_until(lambda: browser.eval(
        "document.getElementById('result').textContent") == "acknowledged",
        what="the page to report the ack")
    s = web.status()[("web", "bad")]
    assert (s["state"], s["ack_comment"]) == ("acknowledged",
                                              "looking into it — 調査中")
    wait_until(lambda: browser.eval(
        "document.getElementById('state').innerText").lower() ==
        "acknowledged", what="the page to show the ack")
    browser.screenshot("service_acked.png")

    monctl = build_path("monctl")
    if not os.path.exists(monctl):
        pytest.skip("monctl not built")
    r = run([monctl, "status", "-s", "127.0.0.1", "-p", str(web.mon_port)],
            timeout=30)
    if "connect" in (r.stderr or "").lower() and r.returncode not in (0, 1):
        pytest.skip("mond's mon protocol server is not running: " + r.stderr)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    assert "ack: looking into it" in r.stdout, r.stdout + r.stderr
