"""dns.monitor against real authoritative servers (nsd) on loopback ports.

Each nsd runs in the foreground (-d) with a private config, zone file and
pid file in the test's temporary directory, on a free port, and is
stopped by PID.  Fake servers for what nsd will not do (never answer,
answer without the AA bit) are small Python UDP sockets.
"""
import os
import shutil
import socket
import struct
import subprocess
import threading

import pytest

from conftest import build_path, free_port, kill_pid, run, wait_until
from netfixtures import parse_output, silent_addresses

MON = build_path("monitors", "dns.monitor")
NSD = shutil.which("nsd") or "/usr/sbin/nsd"

ZONE = """$ORIGIN example.test.
$TTL 300
@     IN SOA ns1.example.test. hostmaster.example.test. {serial} 3600 600 86400 300
@     IN NS  ns1
@     IN MX  10 mail1
@     IN MX  20 mail2
ns1   IN A   127.0.0.1
mail1 IN A   192.0.2.1
mail2 IN A   192.0.2.2
www   IN A   192.0.2.10
www   IN A   192.0.2.11
www   IN AAAA 2001:db8::10
big   IN TXT "{a}" "{b}" "{c}"
"""
BIG_TXT = "A" * 200 + "B" * 200 + "C" * 200   # > 512 bytes: TC over UDP

CONF = """server:
  ip-address: 127.0.0.1
{v6}  port: {port}
  zonesdir: {dir}
  pidfile: {dir}/nsd.pid
  database: ""
  username: ""
  chroot: ""
  xfrdfile: {dir}/xfrd.state
  zonelistfile: {dir}/zone.list
  xfrdir: {dir}
  logfile: {dir}/nsd.log
  server-count: 1
  verbosity: 1
remote-control:
  control-enable: no
zone:
  name: example.test
  zonefile: example.test.zone
"""


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


HAVE_V6 = have_ipv6_loopback()


def dns_query(port, name, qtype=6, host="127.0.0.1"):
    """One UDP query; returns the rcode, or None when nothing came back."""
    q = struct.pack(">HHHHHH", 0x1234, 0, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        try:
            s.sendto(q, (host, port))
            data = s.recv(4096)
        except OSError:
            return None
    return data[3] & 0x0f


class Nsd:
    """One nsd serving example.test with the given SOA serial."""

    def __init__(self, base, name, serial):
        if not os.path.exists(NSD):
            pytest.skip("nsd is not installed (deps/test.txt)")
        self.dir = os.path.join(base, name)
        os.makedirs(self.dir)
        with open(os.path.join(self.dir, "example.test.zone"), "w") as f:
            f.write(ZONE.format(serial=serial, a="A" * 200, b="B" * 200,
                                c="C" * 200))
        self.proc = None
        self.log = None
        # A port free a moment ago may be taken (TCP, ::1) by the time
        # nsd binds it: then nsd exits and we try another port.
        for attempt in range(5):
            if self._start():
                break
        else:
            with open(os.path.join(self.dir, "nsd.log")) as f:
                pytest.fail("nsd did not start: " + f.read()[-2000:])
        self.addr = f"127.0.0.1:{self.port}"

    def _start(self):
        self.port = free_port(socket.SOCK_DGRAM)
        conf = os.path.join(self.dir, "nsd.conf")
        with open(conf, "w") as f:
            f.write(CONF.format(port=self.port, dir=self.dir,
                                v6="  ip-address: ::1\n" if HAVE_V6 else ""))
        if self.log:
            self.log.close()
        self.log = open(os.path.join(self.dir, "stderr"), "w")
        self.proc = subprocess.Popen([NSD, "-d", "-c", conf],
                                     stdout=self.log, stderr=self.log)
        try:
            wait_until(lambda: self.proc.poll() is not None or
                       dns_query(self.port, "example.test") == 0,
                       timeout=20, what=f"nsd on port {self.port}")
        except BaseException:
            self.stop()
            raise
        return self.proc.poll() is None

    def stop(self):
        kill_pid(self.proc)
        self.log.close()


@pytest.fixture(scope="module")
def ns(tmp_path_factory):
    """One nsd (serial 2024010101) shared by the query-mode tests."""
    n = Nsd(str(tmp_path_factory.mktemp("ns")), "ns", 2024010101)
    yield n
    n.stop()


@pytest.fixture
def servers(tmp_path):
    started = []

    def start(name, serial):
        n = Nsd(str(tmp_path), name, serial)
        started.append(n)
        return n
    yield start
    for n in started:
        n.stop()


class FakeDns:
    """A UDP socket on 127.0.0.1 that answers each query with reply(query)
    (bytes, or None to stay silent)."""

    def __init__(self, reply):
        self.reply = reply
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.addr = f"127.0.0.1:{self.port}"
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopped.is_set():
            try:
                q, peer = self.sock.recvfrom(4096)
            except (socket.timeout, OSError):
                continue
            r = self.reply(q)
            if r is not None:
                self.sock.sendto(r, peer)

    def close(self):
        self.stopped.set()
        self.thread.join(timeout=5)
        self.sock.close()


def soa_answer(query, aa, serial=2024010101):
    """An answer to query with one SOA record for example.test."""
    qid = query[:2]
    flags = 0x8000 | (0x0400 if aa else 0)
    hdr = qid + struct.pack(">HHHHH", flags, 1, 1, 0, 0)
    question = query[12:]
    rdata = (b"\x03ns1\xc0\x0c" + b"\x0ahostmaster\xc0\x0c" +
             struct.pack(">IIIII", serial, 3600, 600, 86400, 300))
    rr = b"\xc0\x0c" + struct.pack(">HHIH", 6, 1, 300, len(rdata)) + rdata
    return hdr + question + rr


def dns(*args, timeout=30):
    r = run([MON, *args], timeout=timeout)
    return r.returncode, r.stdout, r.stderr


# --- zone sync -------------------------------------------------------------

def test_zone_in_sync(servers):
    m = servers("master", 2024010102)
    s = servers("slave", 2024010102)
    rc, out, err = dns("-t", "5", "--zone", "example.test", "--master",
                       m.addr, s.addr)
    summary, perf, details = parse_output(out)
    assert rc == 0, out + err
    assert summary == []
    for a in (m.addr, s.addr):
        assert details[a][0].startswith("ok NOERROR aa, serial 2024010102,")
        assert f"{a}_time=" in perf


def test_zone_stale_slave_is_named(servers):
    m = servers("master", 2024010103)
    s = servers("slave", 2024010101)
    ok = servers("other", 2024010103)
    rc, out, err = dns("-t", "5", "--zone", "example.test", "--master",
                       m.addr, ok.addr, s.addr)
    summary, _, details = parse_output(out)
    assert rc == 2, out + err
    assert summary == [s.addr]
    assert details[s.addr][0].startswith(
        f"CRITICAL serial 2024010101 differs from master {m.addr} serial "
        "2024010103; NOERROR aa, serial 2024010101,")
    assert details[ok.addr][0].startswith("ok ")
    assert details[m.addr][0].startswith("ok ")


def test_zone_silent_server_fails_at_deadline(servers):
    m = servers("master", 7)
    silent = FakeDns(lambda q: None)
    try:
        rc, out, err = dns("-t", "2", "--zone", "example.test", "--master",
                           m.addr, silent.addr, timeout=20)
    finally:
        silent.close()
    summary, _, details = parse_output(out)
    assert rc == 2, out + err
    assert summary == [silent.addr]
    assert details[silent.addr][0].startswith(
        "CRITICAL no answer before the deadline;")


def test_zone_not_authoritative(servers):
    m = servers("master", 2024010101)
    fake = FakeDns(lambda q: soa_answer(q, aa=False))
    try:
        rc, out, err = dns("-t", "5", "--zone", "example.test", "--master",
                           m.addr, fake.addr)
    finally:
        fake.close()
    summary, _, details = parse_output(out)
    assert rc == 2, out + err
    assert summary == [fake.addr]
    assert details[fake.addr][0].startswith(
        "CRITICAL answer not authoritative (AA bit clear); NOERROR not aa,")


def test_zone_authoritative_fake_agrees(servers):
    """The same fake with the AA bit set and the master's serial is ok:
    the previous test failed for the AA bit alone."""
    m = servers("master", 2024010101)
    fake = FakeDns(lambda q: soa_answer(q, aa=True))
    try:
        rc, out, err = dns("-t", "5", "--zone", "example.test", "--master",
                           m.addr, fake.addr)
    finally:
        fake.close()
    assert rc == 0, out + err


def test_zone_refused_by_server_without_the_zone(servers):
    m = servers("master", 1)
    rc, out, err = dns("-t", "5", "--zone", "other.test", "--master", m.addr)
    summary, _, details = parse_output(out)
    assert rc == 2, out + err
    assert summary == [m.addr]
    assert details[m.addr][0].startswith("CRITICAL rcode REFUSED;")


def test_zone_ipv6_and_port_option(servers):
    if not HAVE_V6:
        pytest.skip("no IPv6 loopback")
    m = servers("master", 42)
    rc, out, err = dns("-t", "5", "-p", str(m.port), "--zone", "example.test",
                       "--master", "127.0.0.1", f"[::1]:{m.port}")
    summary, _, details = parse_output(out)
    assert rc == 0, out + err
    assert details[f"[::1]:{m.port}"][0].endswith(f"; ::1 port {m.port}")
    assert details["127.0.0.1"][0].endswith(f"; 127.0.0.1 port {m.port}")


# --- query mode --------------------------------------------------------------

@pytest.mark.parametrize("qtype,name,expect,rc", [
    ("MX", "example.test", ["10 mail1.example.test", "20 mail2.example.test."], 0),
    ("MX", "example.test", ["mail1.example.test", "MAIL2.example.test"], 0),
    ("MX", "example.test", ["mail1.example.test"], 2),
    ("MX", "example.test", ["10 mail1.example.test", "10 mail2.example.test"], 2),
    ("A", "www.example.test", ["192.0.2.10", "192.0.2.11"], 0),
    ("A", "www.example.test", ["192.0.2.10"], 2),
    ("A", "www.example.test", ["192.0.2.10", "192.0.2.11", "192.0.2.12"], 2),
    ("AAAA", "www.example.test", ["2001:0db8:0::0010"], 0),
    ("SOA", "example.test", ["2024010101"], 0),
    ("SOA", "example.test", ["2024010100"], 2),
])
def test_query_expectations(ns, qtype, name, expect, rc):
    n = ns
    args = ["-t", "5", "--query", name, "--type", qtype]
    for e in expect:
        args += ["--expect", e]
    got, out, err = dns(*args, n.addr)
    summary, _, details = parse_output(out)
    assert got == rc, out + err
    assert summary == ([] if rc == 0 else [n.addr])
    line = details[n.addr][0]
    assert line.startswith("ok NOERROR aa" if rc == 0
                           else f"CRITICAL {name} {qtype}: ")


def test_query_mx_mismatch_names_missing_and_unexpected(ns):
    n = ns
    rc, out, err = dns("-t", "5", "--query", "example.test", "--type", "MX",
                       "--expect", "mail1.example.test", "--expect",
                       "mail3.example.test", n.addr)
    _, _, details = parse_output(out)
    assert rc == 2
    assert details[n.addr][0].startswith(
        'CRITICAL example.test MX: missing "mail3.example.test"; '
        'unexpected "20 mail2.example.test"; NOERROR aa, '
        "MX: 10 mail1.example.test, 20 mail2.example.test;")


def test_query_without_expect_needs_a_record(ns):
    n = ns
    rc, out, _ = dns("-t", "5", "--query", "www.example.test", n.addr)
    assert rc == 0, out
    rc, out, _ = dns("-t", "5", "--query", "nothere.example.test", n.addr)
    _, _, details = parse_output(out)
    assert rc == 2
    assert details[n.addr][0].startswith("CRITICAL rcode NXDOMAIN;")
    rc, out, _ = dns("-t", "5", "--query", "mail1.example.test", "--type",
                     "AAAA", n.addr)
    _, _, details = parse_output(out)
    assert rc == 2
    assert details[n.addr][0].startswith(
        "CRITICAL mail1.example.test: no AAAA record;")


def test_query_truncated_answer_is_retried_over_tcp(ns):
    n = ns
    rc, out, err = dns("-t", "5", "--query", "big.example.test", "--type",
                       "TXT", "--expect", BIG_TXT, n.addr)
    assert rc == 0, out + err
    rc, out, err = dns("-t", "5", "--tcp", "--query", "big.example.test",
                       "--type", "TXT", "--expect", BIG_TXT, n.addr)
    assert rc == 0, out + err


def test_many_silent_servers_all_reported_at_deadline():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2300:
        pytest.skip(f"needs 2300 file descriptors, hard limit {hard}")
    if soft != resource.RLIM_INFINITY and soft < 2300:
        resource.setrlimit(resource.RLIMIT_NOFILE, (2300, hard))
    socks = []
    try:
        port = free_port(socket.SOCK_DGRAM, "127.0.10.1")
        for a in silent_addresses(1000):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((a, port))
            socks.append(s)
        addrs = [f"{a}:{port}" for a in silent_addresses(1000)]
        rc, out, err = dns("-t", "2", "--query", "example.test", *addrs,
                           timeout=30)
    finally:
        for s in socks:
            s.close()
    summary, _, details = parse_output(out)
    assert rc == 2, err
    assert sorted(summary) == sorted(addrs)
    assert len(details) == 1000
    assert all(d[0].startswith("CRITICAL no answer before the deadline")
               for d in details.values())


@pytest.mark.parametrize("args,msg", [
    ([], "give either --zone (with --master) or --query"),
    (["--zone", "example.test", "127.0.0.1"], "--zone needs --master SERVER"),
    (["--query", "x", "--type", "PTR", "127.0.0.1"], "--type: expected A"),
    (["--query", "x", "-p", "0", "127.0.0.1"], "-p: expected a port"),
    (["--query", "x", "-t", "abc", "127.0.0.1"], "-t: expected a positive"),
    (["--query", "x", "127.0.0.1:99999"], 'bad server "127.0.0.1:99999"'),
    (["--query", "x"], "no server given"),
    (["--bogus"], "unknown option --bogus"),
])
def test_bad_arguments_exit_3_with_usage(args, msg):
    rc, out, err = dns(*args)
    assert rc == 3
    assert err.startswith("dns.monitor: " + msg)
    assert "Try 'dns.monitor --help'" in err


def test_help_lists_options_and_exit_codes():
    rc, out, _ = dns("--help")
    assert rc == 0
    for opt in ("--zone", "--master", "--query", "--type", "--expect",
                "--port", "--timeout", "--warn", "--crit", "--tcp", "--aa",
                "--rd", "Exit status: 0 all ok, 1 warning, 2 critical, 3"):
        assert opt in out
