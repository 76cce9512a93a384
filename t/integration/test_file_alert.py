"""file.alert: mon's record format (compared with Debian mon's own
file.alert on the same input) and concurrent alerts that never
interleave, including a reader holding the lock."""
import fcntl
import os
import re
import subprocess

import pytest

from conftest import build_path, wait_until

FILE_ALERT = build_path("alerts", "file.alert")
MON_FILE_ALERT = "/usr/lib/mon/alert.d/file.alert"

if not os.path.exists(FILE_ALERT):
    pytest.skip(f"{FILE_ALERT} not built", allow_module_level=True)

ENV = {"PATH": "/usr/bin:/bin", "TZ": "UTC", "MON_ALERTTYPE": "failure",
       "MON_OPSTATUS": "0", "MON_DESCRIPTION": "front web servers"}


def argv(prog, path, group="web", extra=()):
    return [prog, "-s", "http", "-g", group, "-h", "web1 web2",
            "-t", "1700000000", "-l", "600", *extra, path]


def test_same_record_as_mons_file_alert(tmp_path):
    if not os.path.exists(MON_FILE_ALERT):
        pytest.skip("Debian package mon not installed (deps/test.txt)")
    stdin = b"web1 down\nweb1: refused\nweb2: ok\n"
    ours, theirs = str(tmp_path / "ours"), str(tmp_path / "theirs")
    for prog, path in ((FILE_ALERT, ours), ("perl", theirs)):
        cmd = argv(prog, path)
        if prog == "perl":
            cmd = ["perl", MON_FILE_ALERT] + cmd[1:]
        r = subprocess.run(cmd, input=stdin, env=ENV, capture_output=True,
                           timeout=60)
        assert r.returncode == 0, r.stderr
    want = ("failure web http 1700000000 (Tue Nov 14 22:13:20) web1 down\n"
            "DESCR=front web servers\nOPSTATUS=0\n"
            "web1: refused\nweb2: ok\n.\n")
    assert open(ours).read() == want
    assert open(theirs).read() == want


def test_directory_option_and_default_name(tmp_path):
    r = subprocess.run([FILE_ALERT, "-d", str(tmp_path), "-s", "x", "-g", "y",
                        "-t", "1700000000"], input=b"s\n", env=ENV,
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert open(tmp_path / "file").read().startswith("failure y x 1700000000")


def test_concurrent_alerts_never_interleave(tmp_path):
    path = str(tmp_path / "alerts.log")
    n = 24
    procs = []
    for i in range(n):
        # ~60 KiB of detail each, every line naming its alert
        detail = "".join(f"alert{i} line{k} " + "x" * 40 + "\n"
                         for k in range(1000))
        p = subprocess.Popen(argv(FILE_ALERT, path, group=f"g{i}"),
                             stdin=subprocess.PIPE, env=ENV,
                             stderr=subprocess.PIPE)
        procs.append((p, f"summary {i}\n{detail}".encode()))
    for p, data in procs:
        p.stdin.write(data)
        p.stdin.close()
    for p, _ in procs:
        assert p.wait(timeout=60) == 0, p.stderr.read()
        p.stderr.close()
    text = open(path).read()
    records = text.split("\n.\n")
    assert records[-1] == ""
    records = records[:-1]
    assert len(records) == n
    seen = set()
    for rec in records:
        lines = rec.split("\n")
        m = re.match(r"failure g(\d+) http 1700000000 \(.*\) summary (\d+)$",
                     lines[0])
        assert m and m.group(1) == m.group(2), lines[0]
        i = int(m.group(1))
        seen.add(i)
        assert lines[1:3] == ["DESCR=front web servers", "OPSTATUS=0"]
        body = lines[3:]
        assert len(body) == 1000
        for k, line in enumerate(body):
            assert line.startswith(f"alert{i} line{k} "), line
    assert seen == set(range(n))


def test_waits_for_a_reader_holding_the_lock(tmp_path):
    path = str(tmp_path / "alerts.log")
    with open(path, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        p = subprocess.Popen(argv(FILE_ALERT, path), stdin=subprocess.PIPE,
                             env=ENV)
        p.stdin.write(b"web1 down\n")
        p.stdin.close()
        # It has read its input and sleeps in flock (the kernel's wait
        # channel for it is locks_lock_inode_wait): nothing may be written
        # while we hold the lock.
        def blocked():
            try:
                with open(f"/proc/{p.pid}/wchan") as f:
                    return "lock" in f.read()
            except OSError:
                return False
        wait_until(blocked, timeout=10, what="file.alert waiting in flock")
        assert p.poll() is None
        assert os.path.getsize(path) == 0
        fcntl.flock(held, fcntl.LOCK_UN)
        assert p.wait(timeout=30) == 0
    assert open(path).read().startswith("failure web http 1700000000")


def test_cannot_write_means_retry(tmp_path):
    r = subprocess.run(argv(FILE_ALERT, str(tmp_path / "no" / "such")),
                       input=b"x\n", env=ENV, capture_output=True, timeout=60)
    assert r.returncode == 1
    assert b"cannot open" in r.stderr
