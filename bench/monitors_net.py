#!/usr/bin/env python3
"""monitors_net.py — smtp.monitor on N targets at once vs one process per
target (Nagios style).

    bench/monitors_net.py [--build DIR] [--targets N] [--rounds R]

Starts a small SMTP responder (asyncio, a separate process) on N loopback
addresses 127.0.20.1 ... (banner, EHLO, QUIT), then measures, R times each:

  one process   smtp.monitor -p PORT HOST1 ... HOSTN
  per target    smtp.monitor -p PORT HOST, one process per host, run one
                after another, and the same with monitoring-plugins'
                check_smtp -H HOST -p PORT when
                /usr/lib/nagios/plugins/check_smtp exists

and prints wall time and CPU time (user + system of the children; the
responder's CPU is not counted).  Figures only, no pass/fail.
"""
import argparse
import asyncio
import os
import resource
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK_SMTP = "/usr/lib/nagios/plugins/check_smtp"


def addresses(n):
    return ["127.0.%d.%d" % (20 + i // 250, 1 + i % 250) for i in range(n)]


async def smtp_session(reader, writer):
    try:
        writer.write(b"220 bench.invalid ESMTP bench\r\n")
        await writer.drain()
        while True:
            line = await reader.readline()
            if not line:
                break
            cmd = line[:4].upper()
            if cmd in (b"EHLO", b"HELO"):
                writer.write(b"250-bench.invalid\r\n250 8BITMIME\r\n")
            elif cmd == b"QUIT":
                writer.write(b"221 2.0.0 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 2.0.0 ok\r\n")
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def serve(addrs, port, ready_fd):
    servers = [await asyncio.start_server(smtp_session, a, port,
                                          backlog=256, reuse_address=True)
               for a in addrs]
    os.write(ready_fd, b"ready\n")
    os.close(ready_fd)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def free_port(addr):
    with socket.socket() as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--targets", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    a = ap.parse_args()
    addrs = addresses(a.targets)
    if a.serve:
        port, fd = (int(x) for x in a.serve.split(","))
        asyncio.run(serve(addrs, port, fd))
        return 0

    mon = os.path.join(a.build, "monitors", "smtp.monitor")
    if not os.access(mon, os.X_OK):
        sys.exit(f"monitors_net: {mon} not built")
    port = free_port(addrs[0])
    rfd, wfd = os.pipe()
    srv = subprocess.Popen([sys.executable, __file__, "--targets",
                            str(a.targets), "--serve", f"{port},{wfd}"],
                           pass_fds=(wfd,))
    os.close(wfd)
    try:
        with os.fdopen(rfd) as ready:
            if ready.readline().strip() != "ready":
                sys.exit("monitors_net: SMTP responder did not start")
        runs = [("smtp.monitor, all at once",
                 [[mon, "-t", "30", "-p", str(port), *addrs]]),
                ("smtp.monitor, one host per process",
                 [[mon, "-t", "30", "-p", str(port), h] for h in addrs])]
        if os.access(CHECK_SMTP, os.X_OK):
            runs.append(("check_smtp, one host per process",
                         [[CHECK_SMTP, "-H", h, "-p", str(port), "-t", "30"]
                          for h in addrs]))
        else:
            print("(check_smtp not installed: apt-get install "
                  "monitoring-plugins-basic to compare with it)")
        print(f"smtp: {a.targets} targets on 127.0.20.x port {port}, "
              f"{a.rounds} rounds, best of each")
        rows = []
        for name, argvs in runs:
            best = None
            for _ in range(a.rounds):
                w, c, rc = measure(argvs)
                if best is None or w < best[0]:
                    best = (w, c, rc)
            rows.append((name, *best))
        print(f"{'':38} {'wall s':>8} {'cpu s':>8} {'worst exit':>10}")
        for name, w, c, rc in rows:
            print(f"{name:38} {w:8.3f} {c:8.3f} {rc:10d}")
        w1, c1 = rows[0][1], rows[0][2]
        for name, w2, c2, _ in rows[1:]:
            print(f"vs {name}: all at once is {w2 / w1:.1f}x faster in wall "
                  f"time and uses {c2 / max(c1, 1e-6):.1f}x less CPU")
    finally:
        srv.terminate()
        try:
            srv.wait(timeout=10)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
