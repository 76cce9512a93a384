"""temp.monitor against fake hwmon devices read by the real libsensors.

Each test writes a hwmon tree (name, tempN_*, fanN_* files) into a temp
dir; the monitor then runs in a private mount namespace where a tmpfs is
mounted over /sys/class and the tree copied into it, so libsensors'
ordinary sysfs scan (/sys/class/hwmon/hwmon*/) finds exactly these chips.
Chips without a `device` link are "virtual": CHIP-virtual-0.  Needs root
(mount) and unshare; skipped otherwise."""
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import build_path, run

MON = build_path("monitors", "temp.monitor")


def _can_unshare():
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    r = subprocess.run(["unshare", "-m", "sh", "-c",
                        "mount -t tmpfs none /sys/class"],
                       capture_output=True, timeout=10)
    return r.returncode == 0


pytestmark = pytest.mark.skipif(
    not _can_unshare(),
    reason="needs root and `unshare -m` + mount (private mount namespace)")

# A tree is {hwmon dir: {file: content}}; values are sysfs units
# (millidegrees, RPM).
NORMAL = {
    "hwmon0": {"name": "testchip", "temp1_input": "45000",
               "temp1_max": "80000", "temp1_crit": "95000",
               "temp1_label": "CPU Core", "fan1_input": "1500",
               "fan1_min": "600", "fan1_alarm": "0", "fan1_fault": "0"},
}


def chip(**over):
    """NORMAL's chip with some files replaced (None removes one)."""
    files = dict(NORMAL["hwmon0"])
    for k, v in over.items():
        if v is None:
            files.pop(k, None)
        else:
            files[k] = v
    return {"hwmon0": files}


def run_temp(tmp_path, tree, args=(), config=""):
    tmp_path = pathlib.Path(tempfile.mkdtemp(dir=tmp_path))
    root = tmp_path / "class"
    hw = root / "hwmon"
    hw.mkdir(parents=True)
    for d, files in (tree or {}).items():
        (hw / d).mkdir()
        for f, content in files.items():
            (hw / d / f).write_text(content + "\n")
    argv = list(args)
    if config is not None:
        cfg = tmp_path / "sensors.conf"
        cfg.write_text(config)
        argv = ["-c", str(cfg)] + argv
    if tree is None:                        # no hwmon class at all
        shutil.rmtree(hw)
    script = ('mount -t tmpfs none /sys/class && cp -a "$0"/. /sys/class/ '
              '&& exec "$@"')
    r = run(["unshare", "-m", "sh", "-c", script, str(root), MON] + argv +
            ["localhost"], timeout=30)
    return r.returncode, r.stdout.split("\n")[:-1], r.stderr


T1 = "testchip-virtual-0:temp1"
F1 = "testchip-virtual-0:fan1"


def test_normal(tmp_path):
    rc, out, _ = run_temp(tmp_path, NORMAL)
    assert (rc, out) == (0, [
        f"| {F1}=1500;;;0 {T1}=45;80;95",
        f"{F1}: ok fan1 1500 RPM (min 600 RPM)",
        f"{T1}: ok CPU Core 45.0C (high 80.0C, crit 95.0C)"])


def test_default_config_path(tmp_path):
    # No -c: libsensors' default configuration is read; still the same
    # chip and readings.
    rc, out, _ = run_temp(tmp_path, NORMAL, config=None)
    assert rc == 0
    assert f"{T1}: ok CPU Core 45.0C (high 80.0C, crit 95.0C)" in out


@pytest.mark.parametrize("over,code,line", [
    ({"temp1_input": "80000"}, 1,
     f"{T1}: WARNING CPU Core 80.0C at or over high (high 80.0C, crit 95.0C)"),
    ({"temp1_input": "97500"}, 2,
     f"{T1}: CRITICAL CPU Core 97.5C at or over crit (high 80.0C, "
     "crit 95.0C)"),
    ({"temp1_crit_alarm": "1"}, 2,
     f"{T1}: CRITICAL CPU Core 45.0C chip crit alarm (high 80.0C, "
     "crit 95.0C)"),
    ({"temp1_max": None, "temp1_crit": None, "temp1_emergency": "90000",
      "temp1_input": "91000"}, 2,
     f"{T1}: CRITICAL CPU Core 91.0C at or over crit (crit 90.0C)"),
    ({"temp1_fault": "1"}, 3,
     f"{T1}: UNKNOWN CPU Core sensor FAULT (open or shorted diode)"),
], ids=["hot", "critical", "crit-alarm-flag", "emergency-limit",
        "temp-sensor-fault"])
def test_temperature(tmp_path, over, code, line):
    rc, out, _ = run_temp(tmp_path, chip(**over))
    assert rc == code
    assert out[0].startswith(T1 + " | ")
    assert line in out


@pytest.mark.parametrize("over,code,line", [
    ({"fan1_input": "0"}, 2, f"{F1}: CRITICAL fan1 0 RPM stopped (min 600 RPM)"),
    ({"fan1_input": "400"}, 2,
     f"{F1}: CRITICAL fan1 400 RPM below min (min 600 RPM)"),
    ({"fan1_fault": "1"}, 2, f"{F1}: CRITICAL fan1 1500 RPM FAULT (min 600 RPM)"),
    ({"fan1_alarm": "1"}, 1,
     f"{F1}: WARNING fan1 1500 RPM chip alarm (min 600 RPM)"),
], ids=["fan-stopped", "fan-slow", "fan-fault", "fan-alarm-flag"])
def test_fan(tmp_path, over, code, line):
    rc, out, _ = run_temp(tmp_path, chip(**over))
    assert rc == code
    assert out[0].startswith(F1 + " | ")
    assert line in out


def test_unused_fan_header_is_ok(tmp_path):
    rc, out, _ = run_temp(tmp_path, chip(fan1_input="0", fan1_min=None))
    assert rc == 0
    assert (f"{F1}: ok fan1 0 RPM not spinning, no minimum set (unused "
            "header?) (no min)") in out


def test_broken_reading(tmp_path):
    tree = chip(temp2_input="garbage")
    rc, out, _ = run_temp(tmp_path, tree)
    assert rc == 3
    assert out[0] == (f"testchip-virtual-0:temp2 | {F1}=1500;;;0 "
                      f"{T1}=45;80;95")
    assert ("testchip-virtual-0:temp2: UNKNOWN temp2 cannot read "
            "temp2_input: Can't read") in out
    # The healthy readings of the same chip are still reported.
    assert f"{T1}: ok CPU Core 45.0C (high 80.0C, crit 95.0C)" in out


def test_broken_reading_does_not_hide_critical(tmp_path):
    rc, out, _ = run_temp(tmp_path, chip(temp2_input="garbage",
                                         fan1_input="0"))
    assert rc == 2
    assert out[0].startswith(f"{F1} testchip-virtual-0:temp2 | ")


@pytest.mark.parametrize("tree", [{}, None], ids=["empty-hwmon", "no-hwmon"])
def test_no_chips(tmp_path, tree):
    rc, out, _ = run_temp(tmp_path, tree)
    assert rc == 3
    assert out == ["no sensors: libsensors found no chips (no hwmon driver "
                   "loaded? run sensors-detect)"]


def test_chip_without_temperatures_or_fans(tmp_path):
    rc, out, _ = run_temp(tmp_path, {"hwmon0": {"name": "voltonly",
                                                "in0_input": "1200"}})
    assert rc == 3
    assert out == ["no sensors: no temperature or fan readings on 1 chip"]


def test_user_thresholds_override_chip_limits(tmp_path):
    tree = chip(temp1_input="85000", temp1_max_alarm="1")
    rc, out, _ = run_temp(tmp_path, tree)
    assert rc == 1
    assert (f"{T1}: WARNING CPU Core 85.0C at or over high, chip high alarm "
            "(high 80.0C, crit 95.0C)") in out
    # Higher user limits: the chip's max and its alarm flag no longer count.
    rc, out, _ = run_temp(tmp_path, tree,
                          ["--temp-warn", "90", "--temp-crit", "100"])
    assert rc == 0
    assert (f"{T1}: ok CPU Core 85.0C (high 90.0C by --temp-warn, "
            "crit 100.0C by --temp-crit)") in out
    assert out[0] == f"| {F1}=1500;;;0 {T1}=85;90;100"


def test_user_limits_tighter(tmp_path):
    rc, out, _ = run_temp(tmp_path, NORMAL,
                          ["--temp-crit", "40", "--fan-min", "2000"])
    assert rc == 2
    assert out[0] == f"{F1} {T1} | {F1}=1500;;;0 {T1}=45;80;40"
    assert (f"{T1}: CRITICAL CPU Core 45.0C at or over crit (high 80.0C, "
            "crit 40.0C by --temp-crit)") in out
    assert (f"{F1}: CRITICAL fan1 1500 RPM below min (min 2000 RPM by "
            "--fan-min)") in out


TWO = {
    "hwmon0": dict(NORMAL["hwmon0"], temp1_input="99000"),
    "hwmon1": {"name": "otherchip", "temp1_input": "30000",
               "temp2_input": "99000", "temp2_max": "60000",
               "temp2_label": "Ambient"},
}


def test_chip_filter(tmp_path):
    rc, out, _ = run_temp(tmp_path, TWO, ["--chip", "other*",
                                          "--ignore", "Ambient"])
    assert (rc, out) == (0, [
        "| otherchip-virtual-0:temp1=30",
        "otherchip-virtual-0:temp1: ok temp1 30.0C (no limits)"])


def test_chip_filter_by_full_name_and_ignore_by_chip_feature(tmp_path):
    rc, out, _ = run_temp(tmp_path, TWO, [
        "--chip", "testchip-virtual-0", "--chip", "otherchip",
        "--ignore", "otherchip-virtual-0:temp2", "--ignore", "fan1"])
    assert rc == 2
    # Chips in name order, whatever order the kernel lists them.
    assert out[0] == (f"{T1} | otherchip-virtual-0:temp1=30 {T1}=99;80;95")
    assert len(out) == 3


def test_chip_filter_matches_nothing(tmp_path):
    rc, out, _ = run_temp(tmp_path, TWO, ["--chip", "coretemp-*"])
    assert (rc, out) == (3, ["no sensors: no chip matches --chip coretemp-*"])


def test_config_label_and_ignore(tmp_path):
    cfg = ('chip "testchip-*"\n'
           '    label temp1 "Board"\n'
           '    ignore fan1\n')
    rc, out, _ = run_temp(tmp_path, NORMAL, config=cfg)
    assert (rc, out) == (0, [
        f"| {T1}=45;80;95",
        f"{T1}: ok Board 45.0C (high 80.0C, crit 95.0C)"])


def test_config_syntax_error(tmp_path):
    # libsensors skips a bad statement and carries on; the monitor refuses.
    rc, out, _ = run_temp(tmp_path, NORMAL,
                          config='chip "testchip-*"\n  label temp1\n')
    assert rc == 3
    assert len(out) == 1
    assert out[0].startswith("libsensors: error in configuration: /")
    # libsensors counts the line after the statement's end of line.
    assert re.search(r"/sensors\.conf:[23]: syntax error$", out[0]), out[0]


def test_config_missing(tmp_path):
    r = run([MON, "-c", str(tmp_path / "nope.conf")], timeout=10)
    assert r.returncode == 3
    assert r.stdout == (f"cannot open sensors config {tmp_path}/nope.conf: "
                        "No such file or directory\n")


@pytest.mark.parametrize("args,msg", [
    (["--temp-warn", "hot"], '--temp-warn: "hot" is not a number in '
                             '-273..1000'),
    (["--fan-min"], "option '--fan-min' needs an argument"),
    (["--temp-warn", "90", "--temp-crit", "80"],
     "--temp-warn 90 is above --temp-crit 80"),
    (["--frobnicate"], "unknown option '--frobnicate'"),
])
def test_bad_arguments(args, msg):
    r = run([MON] + args, timeout=10)
    assert r.returncode == 3
    assert r.stderr == (f"temp.monitor: {msg}\n"
                        "Try 'temp.monitor --help' for more information.\n")


def test_help():
    r = run([MON, "--help"], timeout=10)
    assert r.returncode == 0
    for opt in ("--config", "--temp-warn", "--temp-crit", "--fan-min",
                "--chip", "--ignore", "--help", "Exit status: 0 all ok"):
        assert opt in r.stdout
