#!/usr/bin/env python3
"""monitors_ping.py — ping.monitor vs fping, and dns.monitor on N servers
at once vs one process per server.  Prints figures, never pass/fail.

    bench/monitors_ping.py [--build DIR] [--rounds R] [--dns-targets N]

ping (needs root for raw ICMP, or a ping_group_range that allows ICMP
datagram sockets): 254 loopback addresses 127.0.30.1-254, 5 probes each,
250 ms between probes to one host:

  ping.monitor -c 5 -i 0.25 HOSTS...
  fping -q -c 5 -p 250 HOSTS...         (fping's default 10 ms between
                                         any two packets)
  fping -q -c 5 -p 250 -i 1 HOSTS...    (1 ms between packets)

dns: one nsd (Debian nsd) listening on N loopback addresses 127.0.40.x,
serving a small zone; the same MX query with --expect:

  dns.monitor --query example.test --type MX ... SERVER1 ... SERVERN
  the same, one server per process, one after another
  check_dns (monitoring-plugins) per server, when installed and nsd could
  use port 53 (check_dns has no port option)

Wall time and CPU time (user + system of the children).
"""
import argparse
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK_DNS = "/usr/lib/nagios/plugins/check_dns"

ZONE = """$ORIGIN example.test.
$TTL 300
@     IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 300
@     IN NS  ns1
@     IN MX  10 mail1
@     IN MX  20 mail2
ns1   IN A   127.0.0.1
"""


def measure(argvs):
    """Run each argv in turn; return (wall s, cpu s, worst exit code)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    worst = 0
    for argv in argvs:
        r = subprocess.run(argv, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=600)
        worst = max(worst, r.returncode)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, worst


def table(title, runs, rounds):
    print(title)
    rows = []
    for name, argvs in runs:
        best = None
        for _ in range(rounds):
            w, c, rc = measure(argvs)
            if best is None or w < best[0]:
                best = (w, c, rc)
        rows.append((name, *best))
    print(f"  {'':44} {'wall s':>8} {'cpu s':>8} {'worst exit':>10}")
    for name, w, c, rc in rows:
        print(f"  {name:44} {w:8.3f} {c:8.3f} {rc:10d}")
    print()
    return rows


def bench_ping(build, rounds):
    mon = os.path.join(build, "monitors", "ping.monitor")
    hosts = ["127.0.30.%d" % i for i in range(1, 255)]
    runs = [("ping.monitor -c 5 -i 0.25", [[mon, "-c", "5", "-i", "0.25",
                                            *hosts]])]
    fping = shutil.which("fping")
    if fping:
        runs.append(("fping -c 5 -p 250", [[fping, "-q", "-c", "5", "-p",
                                            "250", *hosts]]))
        runs.append(("fping -c 5 -p 250 -i 1", [[fping, "-q", "-c", "5",
                                                 "-p", "250", "-i", "1",
                                                 *hosts]]))
    else:
        print("(fping not installed: deps/test.txt lists it)")
    table(f"ping: {len(hosts)} loopback addresses, best of {rounds}", runs,
          rounds)


def port_free(port):
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("127.0.40.1", port))
            except OSError:
                return False
    return True


def bench_dns(build, rounds, n):
    mon = os.path.join(build, "monitors", "dns.monitor")
    nsd = shutil.which("nsd") or "/usr/sbin/nsd"
    if not os.path.exists(nsd):
        print("(nsd not installed: no dns figures)")
        return
    addrs = ["127.0.%d.%d" % (40 + i // 250, 1 + i % 250) for i in range(n)]
    port = 53 if port_free(53) else None
    if port is None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.40.1", 0))
            port = s.getsockname()[1]
    d = tempfile.mkdtemp(prefix="monbench-dns")
    with open(os.path.join(d, "zone"), "w") as f:
        f.write(ZONE)
    conf = os.path.join(d, "nsd.conf")
    with open(conf, "w") as f:
        f.write("server:\n")
        for a in addrs:
            f.write(f"  ip-address: {a}\n")
        f.write(f"""  port: {port}
  zonesdir: {d}
  pidfile: {d}/nsd.pid
  database: ""
  username: ""
  chroot: ""
  xfrdfile: {d}/xfrd.state
  zonelistfile: {d}/zone.list
  xfrdir: {d}
  logfile: {d}/nsd.log
  server-count: 1
remote-control:
  control-enable: no
zone:
  name: example.test
  zonefile: zone
""")
    proc = subprocess.Popen([nsd, "-d", "-c", conf],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        q = [mon, "-t", "30", "--query", "example.test", "--type", "MX",
             "--expect", "mail1.example.test", "--expect",
             "mail2.example.test"]
        targets = [f"{a}:{port}" for a in addrs]
        deadline = time.monotonic() + 20
        while subprocess.run(q[:1] + ["-t", "1"] + q[3:] + [targets[-1]],
                             stdout=subprocess.DEVNULL).returncode != 0:
            if proc.poll() is not None or time.monotonic() > deadline:
                print("(nsd did not start: no dns figures)")
                return
            time.sleep(0.1)
        runs = [(f"dns.monitor, {n} servers at once", [q + targets]),
                ("dns.monitor, one server per process",
                 [q + [t] for t in targets])]
        if os.access(CHECK_DNS, os.X_OK) and port == 53:
            runs.append(("check_dns, one server per process",
                         [[CHECK_DNS, "-H", "example.test", "-s", a, "-q",
                           "MX", "-t", "30"] for a in addrs]))
        elif not os.access(CHECK_DNS, os.X_OK):
            print("(check_dns not installed: monitoring-plugins-standard "
                  "to compare with it)")
        else:
            print("(port 53 busy: check_dns cannot be pointed at another "
                  "port, left out)")
        rows = table(f"dns: MX query to {n} nsd addresses on port {port}, "
                     f"best of {rounds}", runs, rounds)
        w1, c1 = rows[0][1], rows[0][2]
        for name, w2, c2, _ in rows[1:]:
            print(f"  vs {name}: all at once is {w2 / w1:.1f}x faster in "
                  f"wall time and uses {c2 / max(c1, 1e-6):.1f}x less CPU")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dns-targets", type=int, default=200)
    a = ap.parse_args()
    for m in ("ping.monitor", "dns.monitor"):
        if not os.access(os.path.join(a.build, "monitors", m), os.X_OK):
            sys.exit(f"monitors_ping: {m} not built in {a.build}")
    bench_ping(a.build, a.rounds)
    bench_dns(a.build, a.rounds, a.dns_targets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
