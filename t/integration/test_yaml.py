"""mond on a YAML configuration: the real daemon, real children.

- a failing service defined in mond.yaml alerts with mon's exact argv;
- SIGHUP re-reads the YAML file: a new service starts running, a broken
  file is reported with file:line:col and the running config is kept;
- `mond -t` on YAML: the summary, or errors with positions and key paths;
- `mond --convert` both ways from the command line.
"""
import glob
import os
import signal
import textwrap

import pytest

from conftest import SRC, build_path, run, wait_until
from test_scheduler import Mond

MOND = build_path("mond")

pytestmark = pytest.mark.skipif(not os.path.exists(MOND),
                                reason="mond not built")


class YamlMond(Mond):
    def __init__(self, tmp):
        super().__init__(tmp)
        self.cf = os.path.join(tmp, "mond.yaml")

    def config(self, body):
        self.write("mond.yaml", textwrap.dedent(body).lstrip())


@pytest.fixture
def ymond(tmp_path):
    m = YamlMond(str(tmp_path))
    yield m
    m.stop()


BASE = """\
    hostgroups:
      web: [www1, www2]
    watch:
      web:
        services:
          http:
            interval: 0.3s
            monitor_timeout: 20s
            monitor: ctl.monitor -x 1
            description: "ウェブ (HTTP)"
            env: {{ SVCVAR: from-yaml }}
            periods:
              - when: ""
                alertevery: 1h
                alerts:
                  - rec.alert {rec}
                  - upalert: rec.alert {rec}
"""


def test_yaml_service_alerts_with_mon_argv(ymond):
    ymond.config(BASE.format(rec=ymond.rec))
    ymond.set_result(1, "www2 down\nwww2: connection refused")
    ymond.start()
    recs = ymond.wait_records(1)
    a = recs[0]
    argv = a["argv"]
    assert os.path.basename(argv[0]) == "rec.alert"
    assert argv[1:7] == ["-s", "http", "-g", "web", "-h", "www1 www2"]
    assert argv[7] == "-t" and argv[8].isdigit()
    assert argv[9:11] == ["-l", "3600"]
    assert argv[11:] == [ymond.rec]
    assert a["stdin"] == "www2 down\nwww2: connection refused\n"
    assert a["env"]["MON_DESCRIPTION"] == "ウェブ (HTTP)"
    assert a["env"]["SVCVAR"] == "from-yaml"
    assert a["env"]["MON_ALERTTYPE"] == "failure"
    # the monitor got its configured argument, then the hosts
    runs = ymond.wait_runs(1)
    assert runs[0].split(" ", 1)[1] == "-x 1 www1 www2"
    # recovery: the upalert with -u
    ymond.set_result(0, "")
    recs = ymond.wait_records(2)
    assert "-u" in recs[1]["argv"]
    assert recs[1]["env"]["MON_ALERTTYPE"] == "up"


def test_yaml_sighup_reload_and_broken_file_kept(ymond):
    ymond.config(BASE.format(rec=ymond.rec))
    ymond.start()
    ymond.wait_runs(1)
    # Add a service (hostless monitor, ";;") and reload.
    extra = textwrap.indent(textwrap.dedent("""\
        extra:
          interval: 0.3s
          monitor_timeout: 20s
          monitor: "ctl.monitor -y ;;"
        """), " " * 6)
    ymond.write("mond.yaml",
                textwrap.dedent(BASE.format(rec=ymond.rec)) + extra)
    ymond.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: any(r.endswith(" -y") for r in ymond.runs()),
               what="the new service's monitor to run")
    # A broken file: reported with its position, the old config runs on.
    ymond.write("mond.yaml",
                textwrap.dedent(BASE.format(rec=ymond.rec)).replace(
                    "interval: 0.3s", "interval: soon", 1) + extra)
    ymond.proc.send_signal(signal.SIGHUP)
    ymond.wait_log("mond.yaml:7:19: error: watch.web.services.http.interval")
    n = len(ymond.runs())
    wait_until(lambda: len(ymond.runs()) >= n + 2 and
               any(r.endswith(" -y") for r in ymond.runs()[n:]),
               what="checks to go on under the old config")
    assert ymond.proc.poll() is None


def test_mond_t_on_yaml(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("watch:\n  host1:\n    services:\n      ping:\n"
                    "        interval: 1m\n        monitor: ping.monitor\n")
    r = run([MOND, "-t", "-c", str(good), "-s", build_path("monitors")])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "configuration OK: 1 hostgroup, 1 watch, 1 service\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text("watch:\n  host1:\n    services:\n      ping:\n"
                   "        interval: 1m\n        monitr: ping.monitor\n"
                   "        periods:\n          - when: \"hr {25}\"\n")
    r = run([MOND, "-t", "-c", str(bad)])
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert lines[0] == (f"{bad}:6:9: error: watch.host1.services.ping.monitr: "
                        "unknown key \"monitr\" in a service")
    assert lines[1].startswith(f"{bad}:8:24: error: "
                               "watch.host1.services.ping.periods[0].when: ")


@pytest.mark.parametrize("cf", sorted(
    glob.glob(os.path.join(SRC, "t", "fixtures", "moncf", "*.cf")) +
    glob.glob(os.path.join(SRC, "etc", "*.cf"))))
def test_convert_both_ways(tmp_path, cf):
    first = run([MOND, "-t", "-c", cf, "-s", build_path("monitors"),
                 "-a", build_path("alerts")])
    if first.returncode != 0:
        pytest.skip(f"{os.path.basename(cf)} is a bad-config fixture")
    y = run([MOND, "--convert", cf])
    assert y.returncode == 0, y.stderr
    yp = tmp_path / "x.yaml"
    yp.write_text(y.stdout)
    c = run([MOND, "--convert", str(yp)])
    assert c.returncode == 0, c.stderr
    cp = tmp_path / "x.cf"
    cp.write_text(c.stdout)
    # Both conversions check with the same summary as the original.
    for p in (yp, cp):
        r = run([MOND, "-t", "-c", str(p), "-s", build_path("monitors"),
                 "-a", build_path("alerts")])
        assert r.returncode == 0, r.stderr
        assert r.stdout == first.stdout
    # And converting the mon.cf back again gives the same YAML text.
    y2 = run([MOND, "--convert", str(cp)])
    assert y2.stdout.split("\n", 1)[1] == y.stdout.split("\n", 1)[1]
