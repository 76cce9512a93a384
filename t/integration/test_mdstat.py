"""mdstat.monitor against /proc/mdstat fixtures (t/fixtures/mdstat/).

Each case: fixture file, extra arguments, expected exit code, the exact
summary line (failing arrays, sorted, then perfdata) and detail lines that
must appear exactly."""
import os

import pytest

from conftest import build_path, run, src_path

MON = build_path("monitors", "mdstat.monitor")
FIX = src_path("t", "fixtures", "mdstat")

CASES = [
    # (id, fixture, args, exit, summary, [exact detail lines])
    ("healthy", "raid1-healthy.txt", [], 0,
     "| md0_in_sync=2;;;0;2 md1_in_sync=2;;;0;2",
     ["md0: ok raid1 active [2/2] [UU]; members sde1 sdf1; "
      "bitmap 0/1 pages [0KB], 65536KB chunk",
      "md1: ok raid1 active [2/2] [UU]; members sdf3 sde3; "
      "bitmap 2/8 pages [8KB], 65536KB chunk"]),
    ("failed-member", "raid1-failed-member.txt", [], 2,
     "md0:sdf1(F) md1:sdf3(F) | md0_in_sync=1;;;0;2 md1_in_sync=1;;;0;2",
     ["md1:sdf3(F): CRITICAL raid1 active [2/1] [U_], 1 failed member, "
      "degraded; members sdf3(F) sde3; bitmap 7/8 pages [28KB], "
      "65536KB chunk"]),
    ("member-removed", "raid1-member-removed.txt", [], 2,
     "md0 md1 | md0_in_sync=1;;;0;2 md1_in_sync=1;;;0;2",
     ["md0: CRITICAL raid1 active [2/1] [U_], degraded; members sde1; "
      "bitmap 0/1 pages [0KB], 65536KB chunk"]),
    ("recovering", "raid1-recovering.txt", [], 1,
     "md1 | md0_in_sync=2;;;0;2 md1_in_sync=1;;;0;2 "
     "md1_recovery=0.3%;;;0;100",
     ["md0: ok raid1 active [2/2] [UU]; members sdf1 sde1; "
      "bitmap 0/1 pages [0KB], 65536KB chunk",
      "md1: WARNING raid1 active [2/1] [U_], degraded, recovery 0.3% "
      "finish=218.2min speed=71696K/sec; members sdf3 sde3; "
      "bitmap 7/8 pages [28KB], 65536KB chunk"]),
    ("healthy-all-levels", "healthy-levels.txt", [], 0,
     "| md5_in_sync=3;;;0;3 md6_in_sync=4;;;0;4 md10_in_sync=4;;;0;4 "
     "md1_in_sync=2;;;0;2",
     ["md0: ok raid0 active; members sdn1 sdm1",
      "md1: ok raid1 active [2/2] [UU]; members sdp1(W) sdo1; bitmap 0/1 "
      "pages [0KB], 65536KB chunk, file: /var/md1.bitmap",
      "md10: ok raid10 active [4/4] [UUUU]; members sdl1 sdk1 sdj1 sdi1; "
      "bitmap 0/1 pages [0KB], 65536KB chunk",
      "md5: ok raid5 active [3/3] [UUU]; members sdd1 sdc1 sdb1; "
      "bitmap 0/1 pages [0KB], 65536KB chunk",
      "md6: ok raid6 active [4/4] [UUUU]; members sdh1 sdg1 sdf1 sde1; "
      "bitmap 1/1 pages [4KB], 65536KB chunk",
      "md9: ok linear active; members sdr1 sdq1"]),
    ("raid5-degraded-no-failed", "raid5-degraded.txt", [], 2,
     "md2 | md2_in_sync=2;;;0;3",
     ["md2: CRITICAL raid5 active [3/2] [U_U], degraded; members sdc1 "
      "sda1; bitmap 1/1 pages [4KB], 65536KB chunk"]),
    ("resync-and-delayed", "raid5-resync.txt", [], 1,
     "md2 md3 | md2_in_sync=3;;;0;3 md2_resync=12.5%;;;0;100 "
     "md3_in_sync=2;;;0;2",
     ["md2: WARNING raid5 active [3/3] [UUU], resync 12.5% finish=1.4min "
      "speed=209633K/sec; members sdc1 sdb1 sda1; bitmap 1/1 pages [4KB], "
      "65536KB chunk",
      "md3: WARNING raid1 active [2/2] [UU], resync pending; members "
      "sde1 sdd1"]),
    ("check-is-ok", "raid1-check.txt", [], 0,
     "| md0_in_sync=2;;;0;2 md0_check=27.9%;;;0;100",
     ["md0: ok raid1 active [2/2] [UU], check 27.9% finish=58.7min "
      "speed=199843K/sec; members sdb1 sda1; bitmap 0/8 pages [0KB], "
      "65536KB chunk"]),
    ("check-warns-with-option", "raid1-check.txt", ["--warn-check"], 1,
     "md0 | md0_in_sync=2;;;0;2 md0_check=27.9%;;;0;100",
     ["md0: WARNING raid1 active [2/2] [UU], check 27.9% finish=58.7min "
      "speed=199843K/sec; members sdb1 sda1; bitmap 0/8 pages [0KB], "
      "65536KB chunk"]),
    ("reshape", "raid5-reshape.txt", [], 1,
     "md4 | md4_in_sync=4;;;0;4 md4_reshape=3.2%;;;0;100",
     ["md4: WARNING raid5 active [4/4] [UUUU], reshape 3.2% "
      "finish=25.1min speed=13447K/sec; members sdd1 sdc1 sdb1 sda1"]),
    ("auto-read-only", "auto-read-only.txt", [], 1,
     "md127 | md127_in_sync=2;;;0;2",
     ["md127: WARNING raid1 active [2/2] [UU], auto-read-only; members "
      "sdb1 sda1"]),
    ("inactive", "inactive.txt", [], 2,
     "md127",
     ["md127: CRITICAL - inactive; members sdb1(S) sda1(S)"]),
    ("mixed", "mixed.txt", [], 2,
     "md2 md3:sdg1(F),sde1(F) | md3_in_sync=2;;;0;4 md2_in_sync=3;;;0;4 "
     "md2_recovery=8.5%;;;0;100 md1_in_sync=2;;;0;2 md0_in_sync=2;;;0;2",
     ["md0: ok raid1 active [2/2] [UU]; members sdm1(S) sdl1 sdn1",
      "md1: ok raid1 active [2/2] [UU]; members sdk1 sdj1",
      "md2: WARNING raid6 active [4/3] [UUU_], degraded, recovery 8.5% "
      "finish=9.8min speed=32432K/sec; members sdd1 sdc1 sdb1 sda1 "
      "sdi1(S)",
      "md3:sdg1(F),sde1(F): CRITICAL raid10 active [4/2] [U_U_], 2 failed "
      "members, degraded; members sdh1 sdg1(F) sdf1 sde1(F)"]),
    ("raid6-recovery-leaves-hole", "raid6-partial-recovery.txt", [], 2,
     "md6 | md6_in_sync=2;;;0;4 md6_recovery=1%;;;0;100",
     ["md6: CRITICAL raid6 active [4/2] [UU__], degraded, recovery 1.0% "
      "finish=16.5min speed=20954K/sec; members sdd1 sdb1 sda1"]),
    ("spares-wanted", "mixed.txt", ["--spares", "1,md3=0"], 2,
     "md1 md2 md3:sdg1(F),sde1(F) | md3_in_sync=2;;;0;4 md2_in_sync=3;;;0;4"
     " md2_recovery=8.5%;;;0;100 md1_in_sync=2;;;0;2 md0_in_sync=2;;;0;2",
     ["md0: ok raid1 active [2/2] [UU]; members sdm1(S) sdl1 sdn1",
      "md1: WARNING raid1 active [2/2] [UU], 0 spares of 1 wanted; "
      "members sdk1 sdj1"]),
    ("imsm-container-is-ok", "imsm-container.txt", ["--spares", "1"], 0,
     "| md126_in_sync=2;;;0;2",
     ["md126: ok raid1 active [2/2] [UU]; members sda sdb",
      "md127: ok container (imsm metadata); members sdb(S) sda(S)"]),
    ("expect-present", "raid1-healthy.txt", ["--expect", "md1,md0"], 0,
     "| md0_in_sync=2;;;0;2 md1_in_sync=2;;;0;2", []),
    ("expect-missing", "raid1-healthy.txt", ["-e", "md0,md7"], 2,
     "md7 | md0_in_sync=2;;;0;2 md1_in_sync=2;;;0;2",
     ["md7: CRITICAL missing: not in {fix}/raid1-healthy.txt "
      "(expected by --expect)"]),
    ("no-arrays", "no-arrays.txt", [], 0, "",
     ["mdstat: ok no arrays in {fix}/no-arrays.txt"]),
    ("no-arrays-expected", "no-arrays.txt", ["--expect", "md0"], 2,
     "md0", ["md0: CRITICAL missing: not in {fix}/no-arrays.txt "
             "(expected by --expect)"]),
    ("garbled", "garbled.txt", [], 3,
     "{fix}/garbled.txt: garbled mdstat: line 4: unrecognised line "
     "\"this is not mdstat\"", []),
    ("truncated", "truncated.txt", [], 3,
     "{fix}/truncated.txt: garbled mdstat: no \"unused devices:\" line "
     "(file truncated?)", []),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_fixture(case):
    _, fixture, args, code, summary, details = case
    # Host arguments appended by mon are accepted and ignored.
    r = run([MON, "--file", os.path.join(FIX, fixture)] + args +
            ["localhost"], timeout=10)
    lines = r.stdout.split("\n")
    assert r.returncode == code, r.stdout + r.stderr
    assert lines[0] == summary.format(fix=FIX)
    for d in details:
        assert d.format(fix=FIX) in lines[1:]


def test_missing_file(tmp_path):
    r = run([MON, "-f", str(tmp_path / "nope")], timeout=10)
    assert r.returncode == 3
    assert r.stdout == (f"cannot read {tmp_path}/nope: "
                        "No such file or directory\n")


def test_binary_file(tmp_path):
    p = tmp_path / "bin"
    p.write_bytes(b"Personalities : \0\n")
    r = run([MON, "-f", str(p)], timeout=10)
    assert r.returncode == 3
    assert r.stdout == f"cannot read {p}: binary data\n"


@pytest.mark.parametrize("args,msg", [
    (["--bogus"], "unknown option '--bogus'"),
    (["--file"], "option '--file' needs an argument"),
    (["--spares", "x"], "--spares: \"x\" is not a count 0..64"),
    (["--spares", "md0=99"], "--spares: \"md0=99\" is not ARRAY=COUNT"),
    (["--expect", ","], "--expect: empty list"),
])
def test_bad_arguments(args, msg):
    r = run([MON] + args, timeout=10)
    assert r.returncode == 3
    assert r.stdout == ""
    assert r.stderr == (f"mdstat.monitor: {msg}\n"
                        "Try 'mdstat.monitor --help' for more information.\n")


def test_help():
    r = run([MON, "--help"], timeout=10)
    assert r.returncode == 0
    for opt in ("--file", "--expect", "--spares", "--warn-check", "--help",
                "Exit status: 0 all ok, 1 warning, 2 critical, 3"):
        assert opt in r.stdout
