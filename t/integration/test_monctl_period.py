"""`monctl period SPEC [EPOCH]`: what a user sees — in/out and the exit
status, the local zone taken from TZ, a malformed spec shown with its
column and a caret, and monctl's --help."""
import os

import pytest

from conftest import build_path, run

MONCTL = build_path("monctl")
MON_10AM_UTC = 1709546400      # Monday 2024-03-04 10:00:00 UTC
SUN_10AM_UTC = MON_10AM_UTC - 86400


def monctl(*args, tz="UTC", **kw):
    env = dict(os.environ, TZ=tz)
    return run([MONCTL, *args], env=env, **kw)


@pytest.mark.parametrize("spec,epoch,tz,out,rc", [
    ("wd {Mon-Fri} hr {9am-5pm}", MON_10AM_UTC, "UTC", "in", 0),
    ("wd {Mon-Fri} hr {9am-5pm}", SUN_10AM_UTC, "UTC", "out", 1),
    # 19:00 in Tokyo, 05:00 in New York: local time decides
    ("wd {Mon-Fri} hr {9am-5pm}", MON_10AM_UTC, "Asia/Tokyo", "out", 1),
    ("hr {7pm}", MON_10AM_UTC, "Asia/Tokyo", "in", 0),
    ("hr {5am}", MON_10AM_UTC, "America/New_York", "in", 0),
    ("", MON_10AM_UTC, "UTC", "in", 0),
    ("none", MON_10AM_UTC, "UTC", "out", 1),
])
def test_in_or_out(spec, epoch, tz, out, rc):
    if tz != "UTC" and not os.path.exists(f"/usr/share/zoneinfo/{tz}"):
        pytest.skip(f"tzdata has no {tz}")
    res = monctl("period", spec, str(epoch), tz=tz)
    assert (res.returncode, res.stdout, res.stderr) == (rc, out + "\n", "")


def test_epoch_defaults_to_now():
    res = monctl("period", "yr {1970-2999}")
    assert (res.returncode, res.stdout) == (0, "in\n")
    res = monctl("period", "yr {1970-1971}")
    assert (res.returncode, res.stdout) == (1, "out\n")


def test_malformed_spec_shows_column_and_caret():
    res = monctl("period", "wd {Mon-Fri} hr 9am-5pm", "0")
    assert res.returncode == 2
    assert res.stdout == ""
    assert res.stderr == (
        "monctl: period:17: error: expected '{' after the scale name\n"
        "  wd {Mon-Fri} hr 9am-5pm\n"
        "                  ^\n")


def test_caret_lines_up_after_a_tab():
    res = monctl("period", "hr {1}\tmo {13}", "0")
    assert res.returncode == 2
    assert res.stderr == (
        "monctl: period:12: error: expected a month: 1-12 or jan-dec\n"
        "  hr {1}\tmo {13}\n"
        "        \t    ^\n")


@pytest.mark.parametrize("args", [
    ["period"],
    ["period", "hr {1}", "yesterday"],
    ["period", "hr {1}", "-5"],
    ["period", "hr {1}", "1", "2"],
    ["frobnicate"],
    [],
])
def test_usage_errors_exit_2(args):
    res = monctl(*args)
    assert res.returncode == 2
    assert res.stdout == ""
    assert res.stderr.startswith(("usage: monctl", "monctl: "))


def test_help_lists_commands_and_exit_codes():
    res = monctl("--help")
    assert res.returncode == 0
    assert "  period SPEC [EPOCH]\n" in res.stdout
    for code in ("0", "1", "2", "3"):
        assert f"\n  {code}  " in res.stdout
    res = monctl("period", "--help")
    assert res.returncode == 0
    assert res.stdout.startswith("usage: monctl period SPEC [EPOCH]\n")
