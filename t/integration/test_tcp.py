"""tcp.monitor against tiny loopback listeners: banner and send/expect,
several ports, refused, silent (timeout), TLS with a self-signed
certificate, bad arguments, and 1,000 silent hosts under one deadline."""
import re
import socket
import time

import pytest

from conftest import build_path, free_port, run
from netfixtures import (LineServer, SilentHosts, make_cert, parse_output,
                         read_line)

TCP = build_path("monitors", "tcp.monitor")


def tcp(*args, timeout=60):
    return run([TCP, *args], timeout=timeout)


def banner(conn):
    conn.sendall(b"SSH-2.0-mondtest\r\n")
    conn.recv(1)


def ping_pong(conn):
    if read_line(conn) == b"PING\r\n":
        conn.sendall(b"PONG\r\n")
    else:
        conn.sendall(b"WHAT?\r\n")
    conn.recv(1)


def test_connect_only():
    with LineServer(banner) as srv:
        r = tcp("-p", str(srv.port), "127.0.0.1")
    assert r.returncode == 0, r.stdout
    summary, perf, details = parse_output(r.stdout)
    assert summary == []
    assert re.match(rf"ok port {srv.port}: connect [0-9.]+ ms, total [0-9.]+ "
                    r"ms$", details["127.0.0.1"][0])
    assert re.search(rf"127\.0\.0\.1:{srv.port}_time=[0-9.e-]+s", perf)


def test_expect_banner():
    with LineServer(banner) as srv:
        ok = tcp("-p", str(srv.port), "-e", "^SSH-2\\.0-", "127.0.0.1")
        bad = tcp("-t", "1", "-p", str(srv.port), "-e", "^SMTP", "127.0.0.1")
    assert ok.returncode == 0, ok.stdout
    assert parse_output(ok.stdout)[2]["127.0.0.1"][0].endswith(
        '; reply "SSH-2.0-mondtest.."')
    assert bad.returncode == 2
    d = parse_output(bad.stdout)[2]["127.0.0.1"][0]
    assert re.match(rf"CRITICAL port {srv.port}: timeout after 1\.[0-9]+ s "
                    r"waiting for a reply matching --expect; connect [0-9.]+ "
                    r'ms, total [0-9.]+ ms; reply "SSH-2\.0-mondtest\.\."$',
                    d), d


def test_send_and_expect():
    with LineServer(ping_pong) as srv:
        ok = tcp("-p", str(srv.port), "--send", "PING\\r\\n", "-e", "^PONG",
                 "127.0.0.1")
        bad = tcp("-t", "1", "-p", str(srv.port), "--send", "HELLO\\n",
                  "-e", "^PONG", "127.0.0.1")
    assert ok.returncode == 0, ok.stdout
    assert bad.returncode == 2
    assert 'reply "WHAT?.."' in bad.stdout


def test_closed_before_match():
    def close_at_once(conn):
        conn.sendall(b"bye\r\n")

    with LineServer(close_at_once) as srv:
        r = tcp("-p", str(srv.port), "-e", "hello", "127.0.0.1")
    assert r.returncode == 2
    d = parse_output(r.stdout)[2]["127.0.0.1"][0]
    assert re.match(rf"CRITICAL port {srv.port}: connection closed by "
                    r"127\.0\.0\.1 while waiting for a reply matching "
                    r"--expect; connect [0-9.]+ ms, total [0-9.]+ ms; reply "
                    r'"bye\.\."$', d), d


def test_several_ports_one_host_in_summary():
    closed = free_port()
    with LineServer(banner) as srv:
        r = tcp("-p", str(srv.port), "-p", str(closed), "127.0.0.1")
    assert r.returncode == 2
    summary, _, details = parse_output(r.stdout)
    assert summary == ["127.0.0.1"]
    lines = sorted(details["127.0.0.1"])
    assert len(lines) == 2
    assert any(x.startswith(f"CRITICAL port {closed}: connect to 127.0.0.1 "
                            f"port {closed}: Connection refused; total ")
               for x in lines), lines
    assert any(x.startswith(f"ok port {srv.port}: ") for x in lines)


def test_silent_host_times_out():
    with SilentHosts(1) as silent:
        r = tcp("-t", "1", "-p", str(silent.port), "-e", ".",
                silent.addrs[0])
    assert r.returncode == 2
    assert re.match(r"CRITICAL port [0-9]+: timeout after 1\.[0-9]+ s waiting "
                    r"for a reply matching --expect; connect [0-9.]+ ms, "
                    r"total [0-9.]+ ms$",
                    parse_output(r.stdout)[2][silent.addrs[0]][0])


def test_tls_self_signed(tmp_path):
    cert, key = make_cert(str(tmp_path), "self", -1, 89.5)
    with LineServer(banner, certfile=cert, keyfile=key) as srv:
        p = str(srv.port)
        untrusted = tcp("-p", p, "--tls", "127.0.0.1")
        trusted = tcp("-p", p, "--tls", "--cacert", cert, "-e", "^SSH",
                      "127.0.0.1")
        insecure = tcp("-p", p, "--tls", "--insecure", "--cert-days", "100",
                       "127.0.0.1")
    assert untrusted.returncode == 2
    assert re.search(r"certificate verify failed: self.signed certificate",
                     untrusted.stdout)
    assert trusted.returncode == 0, trusted.stdout
    assert insecure.returncode == 1, insecure.stdout
    assert parse_output(insecure.stdout)[2]["127.0.0.1"][0].startswith(
        f"WARNING port {p}: certificate expires in 89 days (--cert-days 100)")


@pytest.mark.parametrize("args,message", [
    (["127.0.0.1"], "no port given (-p PORT)"),
    (["-p", "22"], "no host given"),
    (["-p", "65536", "h"], '-p: bad port "65536"'),
    (["-p", "22", "--send", "\\q", "h"], "--send: bad escape"),
    (["-p", "22", "-e", "[", "h"], "--expect: bad regular expression"),
    (["-p", "22", "-t", "0", "h"], "-t: expected a positive number"),
    (["-x", "h"], "unknown option -x"),
])
def test_bad_arguments(args, message):
    r = tcp(*args)
    assert r.returncode == 3
    assert r.stdout == ""
    assert r.stderr.startswith(f"tcp.monitor: {message}")
    assert "Try 'tcp.monitor --help'" in r.stderr


def test_help():
    r = tcp("--help")
    assert r.returncode == 0
    for opt in ("--port", "--timeout", "--send", "--expect", "--tls",
                "--insecure", "--cacert", "--cert-days", "--warn", "--crit",
                "-4", "-6", "--help"):
        assert opt in r.stdout, opt
    assert "Exit status: 0 all ok, 1 warning, 2 critical, 3" in r.stdout


def test_deadline_with_1000_silent_hosts():
    with SilentHosts(1000) as silent:
        t0 = time.monotonic()
        r = tcp("-t", "2", "-p", str(silent.port), "-e", "never",
                *silent.addrs, timeout=120)
        elapsed = time.monotonic() - t0
    assert r.returncode == 2
    summary, _, details = parse_output(r.stdout)
    assert summary == sorted(silent.addrs)
    assert len(details) == 1000
    assert all("timeout after" in v[0] for v in details.values())
    assert elapsed < 10, elapsed


def _ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_ipv6_and_family_options():
    if not _ipv6_loopback():
        pytest.skip("no IPv6 loopback (::1) here")
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    try:
        srv.bind(("::1", 0))
        srv.listen(8)
        port = str(srv.getsockname()[1])
        ok = tcp("-p", port, "::1")
        only4 = tcp("-4", "-p", port, "::1")
        only6 = tcp("-6", "-p", port, "::1")
    finally:
        srv.close()
    assert ok.returncode == 0, ok.stdout
    assert only6.returncode == 0, only6.stdout
    assert only4.returncode == 2
    assert f"CRITICAL port {port}: ::1 is not an IPv4 address; total " \
        in only4.stdout


def test_unresolvable_name():
    # .invalid never resolves (RFC 6761); with no DNS server reachable
    # the deadline ends the lookup instead: critical either way, and
    # the detail says which.
    r = tcp("-t", "3", "-p", "25", "no-such-host.invalid")
    assert r.returncode == 2
    d = parse_output(r.stdout)[2]["no-such-host.invalid"][0]
    assert (d.startswith("CRITICAL port 25: cannot resolve "
                         "no-such-host.invalid: ") or
            d.startswith("CRITICAL port 25: timeout after ") and
            "waiting for the address of no-such-host.invalid;" in d), d
