"""ping.monitor on loopback, and across a veth pair between two network
namespaces the test creates (the monitor in one, the targets in the
other), with deterministic loss from nftables rules in the target
namespace: `numgen inc mod 5 < 2 drop` drops exactly 2 echo requests of
every 5.  (The kernel here may lack sch_netem; a counter-based drop is
exact where netem's random loss would make the test flaky.)

Addresses: 192.0.2.0/24 and 2001:db8::/64 on the veth pair,
198.18.0.0/22 routed from the monitor's namespace to the peer, where a
blackhole route drops it silently, 198.51.100.0/24 and 2001:db8:1::/64
routed to the peer, which has no route for them and answers with ICMP
errors, and 203.0.113.0/24 unreachable in the monitor's namespace.  Nothing touches the host's own
network namespace; both namespaces are deleted afterwards.
"""
import os
import shutil
import socket
import subprocess
import tempfile

import pytest

from conftest import build_path, is_root, run
from netfixtures import parse_output

MON = build_path("monitors", "ping.monitor")

NFT_RULES = """table inet mondtest {
  chain input {
    type filter hook input priority 0;
    ip daddr 192.0.2.3 icmp type echo-request drop
    ip daddr 192.0.2.4 icmp type echo-request numgen inc mod 5 < 2 drop
    ip daddr 192.0.2.5 icmp type echo-request numgen inc mod 5 == 0 drop
    ip daddr 192.0.2.6 icmp type echo-request numgen inc mod 5 < 4 drop
  }
}
"""


def ping(*args, netns=None, timeout=60):
    argv = [MON, *args]
    if netns:
        argv = ["ip", "netns", "exec", netns] + argv
    r = run(argv, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def sh(*argv, check=True):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {r.stderr.strip()}")
    return r


@pytest.fixture(scope="module")
def nets():
    """(monitor namespace, target namespace), linked by veth."""
    if not is_root():
        pytest.skip("network namespaces need root")
    if not shutil.which("ip") or not shutil.which("nft"):
        pytest.skip("needs ip (iproute2) and nft (nftables)")
    tag = f"mondping{os.getpid()}"
    mon, peer = tag + "m", tag + "p"
    made = []
    try:
        for ns in (mon, peer):
            r = sh("ip", "netns", "add", ns, check=False)
            if r.returncode != 0:
                pytest.skip(f"cannot create a network namespace: "
                            f"{r.stderr.strip()}")
            made.append(ns)
        sh("ip", "-n", mon, "link", "add", "vm0", "type", "veth", "peer",
           "name", "vp0", "netns", peer)
        sh("ip", "-n", mon, "addr", "add", "192.0.2.1/24", "dev", "vm0")
        sh("ip", "-n", mon, "addr", "add", "2001:db8::1/64", "dev", "vm0",
           "nodad")
        for a in (2, 3, 4, 5, 6):
            sh("ip", "-n", peer, "addr", "add", f"192.0.2.{a}/24", "dev", "vp0")
        sh("ip", "-n", peer, "addr", "add", "2001:db8::2/64", "dev", "vp0",
           "nodad")
        for ns, dev in ((mon, "vm0"), (peer, "vp0")):
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "-n", mon, "route", "add", "198.18.0.0/22", "via",
           "192.0.2.2")
        sh("ip", "-n", peer, "route", "add", "blackhole", "198.18.0.0/22")
        sh("ip", "-n", mon, "route", "add", "unreachable", "203.0.113.0/24")
        # The peer as a router without a route to 198.51.100.0/24 and
        # 2001:db8:1::/64: it answers with ICMP errors, not rate-limited.
        sh("ip", "-n", mon, "route", "add", "198.51.100.0/24", "via",
           "192.0.2.2")
        sh("ip", "-n", mon, "route", "add", "2001:db8:1::/64", "via",
           "2001:db8::2")
        sh("ip", "-n", peer, "route", "add", "unreachable", "198.51.100.0/24")
        sh("ip", "-n", peer, "route", "add", "unreachable", "2001:db8:1::/64")
        sh("ip", "netns", "exec", peer, "sysctl", "-qw",
           "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
           "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0")
        r = subprocess.run(["ip", "netns", "exec", peer, "nft", "-f", "-"],
                           input=NFT_RULES, capture_output=True, text=True,
                           timeout=30)
        if r.returncode != 0:
            pytest.skip(f"nftables rules not accepted: {r.stderr.strip()}")
        yield mon, peer
    finally:
        for ns in made:
            sh("ip", "netns", "del", ns, check=False)


def reset_counters(peer):
    """Fresh numgen counters: reload the rule set."""
    sh("ip", "netns", "exec", peer, "nft", "flush", "ruleset")
    r = subprocess.run(["ip", "netns", "exec", peer, "nft", "-f", "-"],
                       input=NFT_RULES, capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr


# --- loopback ----------------------------------------------------------------

def test_loopback_hosts_ok():
    if not is_root():
        pytest.skip("raw ICMP sockets need root")
    hosts = ["127.0.0.1"] + [f"127.0.1.{i}" for i in range(1, 101)]
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        hosts.append("::1")
    except OSError:
        pass                    # no IPv6 loopback here
    rc, out, err = ping("-t", "10", *hosts)
    summary, perf, details = parse_output(out)
    assert rc == 0, out + err
    assert summary == []
    assert len(details) == len(hosts)
    for h in hosts:
        assert details[h][0].startswith(
            "ok 5/5 received, 0% loss, rtt min/avg/max "), details[h]
        assert f"{h}_pl=0%;40;80;0;100" in perf
        assert f"{h}_rta=" in perf


def test_name_resolved_and_unresolvable_name_fails():
    if not is_root():
        pytest.skip("raw ICMP sockets need root")
    rc, out, err = ping("-4", "-c", "2", "localhost", "no-such-host.invalid",
                        "127.0.0.1")
    summary, _, details = parse_output(out)
    assert rc == 2, out + err
    assert summary == ["no-such-host.invalid"]
    assert details["no-such-host.invalid"] == [
        "CRITICAL cannot resolve: Domain name not found"]
    assert details["localhost"][0].startswith("ok 2/2 received")
    assert details["localhost"][0].endswith(" ms (127.0.0.1)")


# --- loss across a link ------------------------------------------------------

def test_loss_severities_with_default_thresholds(nets):
    mon, peer = nets
    reset_counters(peer)
    rc, out, err = ping("-t", "10", "192.0.2.2", "192.0.2.3", "192.0.2.4",
                        "192.0.2.5", "192.0.2.6", "2001:db8::2", netns=mon)
    summary, perf, details = parse_output(out)
    assert rc == 2, out + err
    assert summary == ["192.0.2.3", "192.0.2.4", "192.0.2.6"]
    assert details["192.0.2.2"][0].startswith("ok 5/5 received, 0% loss")
    assert details["2001:db8::2"][0].startswith("ok 5/5 received, 0% loss")
    assert details["192.0.2.3"] == [
        "CRITICAL 0/5 received, 100% loss; no reply"]
    assert details["192.0.2.4"][0].startswith(
        "WARNING 3/5 received, 40% loss, rtt min/avg/max ")
    assert details["192.0.2.4"][0].endswith("; loss >= 40% (--loss-warn)")
    # One lost probe of five does not page with the defaults.
    assert details["192.0.2.5"][0].startswith("ok 4/5 received, 20% loss")
    assert details["192.0.2.6"][0].startswith("CRITICAL 1/5 received, 80% loss")
    assert "192.0.2.3_pl=100%;40;80;0;100" in perf
    assert "192.0.2.4_pl=40%;40;80;0;100" in perf


def test_loss_thresholds_from_options(nets):
    mon, peer = nets
    reset_counters(peer)
    rc, out, err = ping("-c", "20", "-i", "0.02", "--loss-warn", "10",
                        "--loss-crit", "30", "192.0.2.4", "192.0.2.5",
                        netns=mon)
    summary, _, details = parse_output(out)
    assert rc == 2, out + err
    assert summary == ["192.0.2.4", "192.0.2.5"]
    assert details["192.0.2.4"][0].startswith(
        "CRITICAL 12/20 received, 40% loss")
    assert details["192.0.2.4"][0].endswith("; loss >= 30% (--loss-crit)")
    assert details["192.0.2.5"][0].startswith(
        "WARNING 16/20 received, 20% loss")


def test_warning_only_exits_1(nets):
    mon, peer = nets
    reset_counters(peer)
    rc, out, err = ping("192.0.2.2", "192.0.2.4", netns=mon)
    summary, _, _ = parse_output(out)
    assert rc == 1, out + err
    assert summary == ["192.0.2.4"]


def test_rtt_thresholds(nets):
    mon, _ = nets
    rc, out, err = ping("-c", "2", "--rtt-warn", "0.000001", "192.0.2.2",
                        netns=mon)
    _, perf, details = parse_output(out)
    assert rc == 1, out + err
    assert details["192.0.2.2"][0].endswith(
        "; average rtt >= 1e-06 ms (--rtt-warn)")
    rc, out, err = ping("-c", "2", "--rtt-crit", "0.000001", "192.0.2.2",
                        netns=mon)
    assert rc == 2, out + err


def test_send_error_is_the_reason(nets):
    mon, _ = nets
    rc, out, err = ping("-c", "2", "203.0.113.5", "192.0.2.2", netns=mon)
    summary, _, details = parse_output(out)
    assert rc == 2, out + err
    assert summary == ["203.0.113.5"]
    assert details["203.0.113.5"] == [
        "CRITICAL 0/2 received, 100% loss; no reply, sendto: No route to host"]


def test_icmp_errors_name_the_router(nets):
    mon, _ = nets
    rc, out, err = ping("-c", "2", "198.51.100.7", "2001:db8:1::7",
                        netns=mon)
    summary, _, details = parse_output(out)
    assert rc == 2, out + err
    assert summary == ["198.51.100.7", "2001:db8:1::7"]
    assert details["198.51.100.7"] == [
        "CRITICAL 0/2 received, 100% loss; no reply, host unreachable "
        "from 192.0.2.2"]
    assert details["2001:db8:1::7"] == [
        "CRITICAL 0/2 received, 100% loss; no reply, no route to "
        "destination from 2001:db8::2"]


def test_thousand_silent_hosts_reported_at_deadline(nets):
    mon, _ = nets
    hosts = ["198.18.%d.%d" % (i // 250, 1 + i % 250) for i in range(1000)]
    rc, out, err = ping("-t", "2", *hosts, netns=mon, timeout=30)
    summary, _, details = parse_output(out)
    assert rc == 2, err
    assert sorted(summary) == sorted(hosts)
    assert len(details) == 1000
    # Every probe was sent before the deadline, none answered.
    assert all(d == ["CRITICAL 0/5 received, 100% loss; no reply"]
               for d in details.values())


# --- unprivileged ICMP datagram sockets ----------------------------------------

def nobody_copy():
    """The monitor copied where the user nobody may run it."""
    d = tempfile.mkdtemp(prefix="mondping")
    os.chmod(d, 0o755)
    dst = os.path.join(d, "ping.monitor")
    shutil.copy(MON, dst)
    os.chmod(dst, 0o755)
    return d, dst


def test_unprivileged_with_and_without_ping_group_range(nets):
    mon, peer = nets
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is not installed")
    reset_counters(peer)
    d, exe = nobody_copy()
    rng = "/proc/sys/net/ipv4/ping_group_range"
    as_nobody = ["ip", "netns", "exec", mon, "setpriv", "--reuid=65534",
                 "--regid=65534", "--clear-groups", "--", exe]
    try:
        # The namespace's own sysctl: the host's setting is not touched.
        sh("ip", "netns", "exec", mon, "sh", "-c", f"echo 1 0 > {rng}")
        r = run(as_nobody + ["127.0.0.1"], timeout=30)
        assert r.returncode == 3, r.stdout + r.stderr
        assert r.stdout.startswith("cannot send ICMP echo requests: raw "
                                   "socket: Operation not permitted")
        assert "is not in net.ipv4.ping_group_range" in r.stdout
        sh("ip", "netns", "exec", mon, "sh", "-c",
           f"echo 0 2147483647 > {rng}")
        r = run(as_nobody + ["127.0.0.1", "::1", "192.0.2.2", "192.0.2.4",
                             "2001:db8::2", "198.51.100.7", "2001:db8:1::7"],
                timeout=30)
        summary, _, details = parse_output(r.stdout)
        assert r.returncode == 2, r.stdout + r.stderr
        assert summary == ["192.0.2.4", "198.51.100.7", "2001:db8:1::7"]
        # ICMP errors reach datagram sockets through IP_RECVERR.
        assert details["198.51.100.7"][0].endswith(
            "no reply, host unreachable from 192.0.2.2")
        assert details["2001:db8:1::7"][0].endswith(
            "no reply, no route to destination from 2001:db8::2")
        for h in ("127.0.0.1", "::1", "192.0.2.2", "2001:db8::2"):
            assert details[h][0].startswith("ok 5/5 received"), details[h]
        assert details["192.0.2.4"][0].startswith("WARNING 3/5 received")
    finally:
        shutil.rmtree(d)


# --- arguments -------------------------------------------------------------------

@pytest.mark.parametrize("args,msg", [
    ([], "no host given"),
    (["-c", "0", "h"], "-c: expected a count 1..1000"),
    (["-c", "2.5", "h"], "-c: expected a count 1..1000"),
    (["-i", "x", "h"], "-i: expected seconds"),
    (["-t", "-1", "h"], "-t: expected a positive number"),
    (["--loss-warn", "101", "h"], "--loss-warn: expected a percentage"),
    (["--loss-warn", "90", "--loss-crit", "50", "h"],
     "--loss-warn 90 is above --loss-crit 50"),
    (["--rtt-crit", "0", "h"], "--rtt-crit: expected milliseconds"),
    (["-c"], "option -c needs a value"),
    (["--frobnicate", "h"], "unknown option --frobnicate"),
])
def test_bad_arguments_exit_3_with_usage(args, msg):
    rc, out, err = ping(*args)
    assert rc == 3
    assert err.startswith("ping.monitor: " + msg), err
    assert "Try 'ping.monitor --help'" in err


def test_help_lists_options_and_exit_codes():
    rc, out, _ = ping("--help")
    assert rc == 0
    for opt in ("--count", "--interval", "--wait", "--timeout", "--loss-warn",
                "--loss-crit", "--rtt-warn", "--rtt-crit", "-4, -6",
                "ping_group_range",
                "Exit status: 0 all ok, 1 warning, 2 critical, 3"):
        assert opt in out
