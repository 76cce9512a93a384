"""A real mond with its HTTP server, for the status page and API tests.

Two services in watch "web": "ok" (exit 0, perfdata) and "bad" steered by
a control file (exit code, then output), so a test can make it fail and
recover.  A userfile with alice (password "secret") and bob ("hunter2"),
and an auth.cf that lets bob acknowledge but not disable.
"""
import base64
import http.client
import json
import os
import socket
import subprocess
import textwrap

from conftest import build_path, free_port, kill_pid, run, wait_until

MOND = build_path("mond")

OK_MONITOR = """#!/bin/sh
echo "all fine | h1_time=0.012s;1;2 h2_time=0.020s size=42B"
exit 0
"""

CTL_MONITOR = r"""#!/bin/sh
d=$(dirname "$0")/..
{ read -r rc; cat; exit "$rc"; } < "$d/ctl"
"""


class WebMond:
    def __init__(self, tmp, interval="0.3s"):
        self.tmp = tmp
        self.proc = None
        self.port = free_port()
        self.mon_port = free_port()
        for sub in ("mon.d", "alert.d", "state", "log"):
            os.makedirs(os.path.join(tmp, sub), exist_ok=True)
        self.write("mon.d/ok.monitor", OK_MONITOR, 0o755)
        self.write("mon.d/ctl.monitor", CTL_MONITOR, 0o755)
        self.set_bad(2, "h1 <script>alert(1)</script> 応答なし\ndetail: "
                        "connection refused\n")
        users = []
        for user, pw in (("alice", "secret"), ("bob", "hunter2")):
            h = run(["openssl", "passwd", "-6", pw]).stdout.strip()
            users.append(f"{user}:{h}")
        self.write("monusers.cf", "\n".join(users) + "\n")
        self.write("auth.cf", textwrap.dedent("""\
            command section
            list: all
            ack: alice, bob
            disable: alice
            enable: alice
            test: alice, bob
            """))
        self.interval = interval
        self.stderr_path = self.path("mond.stderr")

    def path(self, *p):
        return os.path.join(self.tmp, *p)

    def write(self, rel, text, mode=0o644):
        p = self.path(rel)
        with open(p + ".tmp", "w") as f:
            f.write(text)
        os.chmod(p + ".tmp", mode)
        os.rename(p + ".tmp", p)

    def set_bad(self, rc, out):
        self.write("ctl", f"{rc}\n{out}")

    def config(self, extra=""):
        self.write("mon.cf", textwrap.dedent(f"""\
            httpport = {self.port}
            serverport = {self.mon_port}
            trapport = {free_port(kind=socket.SOCK_DGRAM)}
            userfile = {self.path("monusers.cf")}
            authfile = {self.path("auth.cf")}
            dtlogging = yes
            {extra}
            hostgroup web h1 h2

            watch web
                service ok
                    description メールサーバ (mail)
                    interval {self.interval}
                    monitor_timeout 10s
                    monitor ok.monitor
                service bad
                    description the flaky one
                    interval {self.interval}
                    monitor_timeout 10s
                    monitor ctl.monitor
            """))

    def start(self, extra=""):
        self.config(extra)
        self.errf = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(
            [MOND, "-c", self.path("mon.cf"), "-s", self.path("mon.d"),
             "-a", self.path("alert.d"), "-D", self.path("state"),
             "-L", self.path("log")],
            stdin=subprocess.DEVNULL, stdout=self.errf, stderr=self.errf)
        wait_until(lambda: "http: status page on" in self.log()
                   or self.proc.poll() is not None, timeout=15,
                   what="the status page to listen")
        assert self.proc.poll() is None, self.log()
        return self

    def stop(self):
        kill_pid(self.proc)
        if self.proc is not None:
            self.errf.close()

    def log(self):
        with open(self.stderr_path) as f:
            return f.read()

    def request(self, method, path, body=None, headers=None, user=None):
        h = dict(headers or {})
        if user is not None:
            h["Authorization"] = "Basic " + base64.b64encode(
                f"{user[0]}:{user[1]}".encode()).decode()
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, dict(r.getheaders()), data
        finally:
            c.close()

    def post(self, path, body=None, headers=None, user=None):
        """POST, retried while mond answers 429 (a password was refused
        less than 250 ms ago and it is not checking another yet)."""
        return wait_until(
            lambda: (lambda r: r[0] != 429 and r)(
                self.request("POST", path, body, headers, user)),
            what=f"POST {path} past the refused-password pause")

    def get_json(self, path):
        st, hdr, data = self.request("GET", path)
        assert st == 200, (path, st, data)
        assert hdr["Content-Type"].startswith("application/json")
        return json.loads(data)

    def status(self):
        return {(s["group"], s["service"]): s
                for s in self.get_json("/api/v1/status")["services"]}

    def wait_state(self, service, state, timeout=15):
        return wait_until(
            lambda: self.status()[("web", service)]["state"] == state,
            timeout=timeout, what=f"web/{service} {state}")
