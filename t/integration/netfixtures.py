"""Helpers for the network monitor tests (smtp, tcp, http).

- make_cert(): a self-signed certificate for 127.0.0.1/localhost with a
  chosen validity window (python3-cryptography; tests skip without it).
- SilentHosts: N listening sockets on distinct 127.x addresses that
  accept TCP connections (the kernel completes the handshake from the
  backlog) but never read or write: "a host that accepts and never speaks".
- LineServer: a tiny threaded TCP (optionally TLS) server whose reply to
  each connection is given by a function.
"""
import datetime
import ipaddress
import os
import resource
import socket
import ssl
import threading

import pytest


def make_cert(directory, name, not_before_days, not_after_days):
    """Write NAME.pem (certificate) and NAME.key into directory; the
    certificate is valid from now+not_before_days to now+not_after_days
    (negative = in the past).  Returns (cert_path, key_path)."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        pytest.skip("python3-cryptography is not installed")
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=not_before_days))
            .not_valid_after(now + datetime.timedelta(days=not_after_days))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                           critical=True)
            .sign(key, hashes.SHA256()))
    cpath = os.path.join(directory, name + ".pem")
    kpath = os.path.join(directory, name + ".key")
    with open(cpath, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(kpath, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    os.chmod(kpath, 0o600)
    return cpath, kpath


def silent_addresses(n):
    """n distinct loopback addresses 127.0.10.1, 127.0.10.2, ..."""
    return ["127.0.%d.%d" % (10 + i // 250, 1 + i % 250) for i in range(n)]


class SilentHosts:
    """Listening sockets on n 127.x addresses, one port, never accepted."""

    def __init__(self, n):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        need = n + 256
        if hard != resource.RLIM_INFINITY and hard < need:
            pytest.skip(f"needs {need} file descriptors, hard limit {hard}")
        if soft != resource.RLIM_INFINITY and soft < need:
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
        self.addrs = silent_addresses(n)
        self.socks = []
        # One port free on the first address; the others are unlikely
        # to be used on the same port (127.0.10.x is ours alone).
        self.port = None
        try:
            for a in self.addrs:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((a, self.port or 0))
                self.port = s.getsockname()[1]
                s.listen(16)
                self.socks.append(s)
        except OSError:
            self.close()
            raise

    def close(self):
        for s in self.socks:
            s.close()
        self.socks = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class LineServer:
    """Threaded TCP server on 127.0.0.1: handler(conn) talks to each
    client (a socket, TLS-wrapped when certfile is given)."""

    def __init__(self, handler, certfile=None, keyfile=None):
        self.handler = handler
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.ctx = None
        if certfile:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(certfile, keyfile)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._one, args=(conn,),
                             daemon=True).start()

    def _one(self, conn):
        conn.settimeout(10)
        try:
            if self.ctx:
                conn = self.ctx.wrap_socket(conn, server_side=True)
            self.handler(conn)
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_line(conn, limit=4096):
    """Read one line (bytes up to and including LF) from a socket."""
    buf = b""
    while not buf.endswith(b"\n") and len(buf) < limit:
        ch = conn.recv(1)
        if not ch:
            break
        buf += ch
    return buf


def parse_output(text):
    """(summary_hosts, perfdata, {item: [detail lines]}) of monitor output."""
    lines = text.split("\n")
    first = lines[0]
    summary, _, perf = first.partition("|")
    details = {}
    for ln in lines[1:]:
        if not ln:
            continue
        name, _, rest = ln.partition(": ")
        details.setdefault(name, []).append(rest)
    return summary.split(), perf.strip(), details
