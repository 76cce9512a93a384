"""Shared pytest helpers for mond's integration tests.

Every test runs real programs from the build tree (MOND_BUILD, default
../../build) in a private temporary directory, talks only to loopback
or to network namespaces it creates, waits for conditions under a
deadline (never a bare sleep), and kills what it started by PID.
"""
import os
import signal
import socket
import subprocess
import time

import pytest

SRC = os.environ.get("MOND_SRC") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("MOND_BUILD") or os.path.join(SRC, "build")


def build_path(*parts):
    """Path of a built program, e.g. build_path('monitors', 'tcp.monitor')."""
    return os.path.join(BUILD, *parts)


def src_path(*parts):
    return os.path.join(SRC, *parts)


def free_port(kind=socket.SOCK_STREAM, host="127.0.0.1"):
    """A port that was free a moment ago on host (TCP by default)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, kind) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_until(cond, timeout=10.0, interval=0.02, what="condition"):
    """Poll cond() until it returns a true value; return that value.
    Fails the test with `what` after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def kill_pid(proc, sig=signal.SIGTERM, timeout=10.0):
    """Stop a Popen we started: sig, then SIGKILL after timeout."""
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.send_signal(sig)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


def run(argv, timeout=60, **kw):
    """Run a program to completion with a deadline; returns CompletedProcess
    with text stdout/stderr."""
    return subprocess.run(argv, capture_output=True, text=True,
                          timeout=timeout, **kw)


def is_root():
    return os.geteuid() == 0


@pytest.fixture
def tmpdir_path(tmp_path):
    """A private temporary directory as a str."""
    return str(tmp_path)
