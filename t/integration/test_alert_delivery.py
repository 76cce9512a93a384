"""Durable alert delivery end to end: real mond, real mail.alert, a real
Postfix started by the test (issue 5).

- The SMTP server is down while a service fails: mail.alert exits
  non-zero, mond keeps the alert in statedir/spool and retries with
  backoff; once Postfix is up the mail is delivered, once, and the spool
  is empty.
- mond is killed with SIGKILL while the alert is spooled: the next mond
  on the same statedir delivers it.  Nothing is lost, and no duplicate.
"""
import os
import signal
import textwrap

import pytest

from conftest import build_path, kill_pid, wait_until
from test_mail_alert import POSTFIX, Postfix
from test_scheduler import Mond

MOND = build_path("mond")
MAIL_ALERT = build_path("alerts", "mail.alert")

pytestmark = [
    pytest.mark.skipif(not os.path.exists(MOND), reason="mond not built"),
    pytest.mark.skipif(os.geteuid() != 0, reason="starting Postfix needs root"),
    pytest.mark.skipif(not os.path.exists(POSTFIX),
                       reason="postfix not installed (deps/test.txt)"),
]


@pytest.fixture
def postfix_later():
    """A Postfix whose port is chosen now but which starts when the test
    says so."""
    pf = Postfix()
    yield pf
    pf.stop()


@pytest.fixture
def mond(tmp_path):
    m = Mond(str(tmp_path))
    os.symlink(MAIL_ALERT, m.path("alert.d", "mail.alert"))
    yield m
    m.stop()


def configure(m, port):
    m.config(f"""\
        alert_retry = 0.5s
        alert_retry_max = 1s
        alert_giveup = 10m

        hostgroup mail mx1

        watch mail
            service smtp
                interval 0.5s
                monitor_timeout 20s
                monitor ctl.monitor
                period wd {{Sun-Sat}}
                    alertevery 1h
                    alert mail.alert --smtp smtp://127.0.0.1:{port} --from mond@example.test --timeout 5 alice@example.test
        """)


def spooled(m):
    d = m.path("state", "spool")
    if not os.path.isdir(d):
        return []
    # Spool files proper, not the temp file of an atomic rewrite.
    return [f for f in os.listdir(d)
            if os.path.isfile(os.path.join(d, f)) and ".tmp." not in f]


def delivery_log(m):
    try:
        with open(m.path("log", "alert.delivery")) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def alert_mails(pf):
    return [msg for msg in pf.messages("alice")
            if str(msg["Subject"]).startswith("ALERT mail/smtp:")]


def test_smtp_down_then_up_delivers_once(mond, postfix_later):
    configure(mond, postfix_later.port)
    mond.set_result(1, "mx1 refuses connections\nmx1: connect: refused")
    mond.start()
    # mail.alert fails (nothing listens), mond retries with backoff.
    wait_until(lambda: sum("failed" in l for l in delivery_log(mond)) >= 2,
               timeout=30, what="two failed delivery attempts")
    assert len(spooled(mond)) == 1
    postfix_later.start()
    msg = postfix_later.wait_message("alice", "ALERT mail/smtp")
    assert str(msg["Subject"]) == "ALERT mail/smtp: mx1 refuses connections"
    wait_until(lambda: spooled(mond) == [], what="the spool to empty")
    log = delivery_log(mond)
    assert any("delivered" in l for l in log), log
    assert len(alert_mails(postfix_later)) == 1
    assert mond.proc.poll() is None


def test_sigkill_with_spooled_alert_delivered_after_restart(mond,
                                                            postfix_later):
    configure(mond, postfix_later.port)
    mond.set_result(1, "mx1 refuses connections")
    mond.start()
    wait_until(lambda: any("failed" in l for l in delivery_log(mond)),
               timeout=30, what="a failed delivery attempt")
    assert len(spooled(mond)) == 1
    mond.proc.send_signal(signal.SIGKILL)
    mond.proc.wait(timeout=10)
    mond.errf.close()
    assert len(spooled(mond)) == 1            # survived the crash
    # The service recovers meanwhile; the mail server comes back.
    mond.set_result(0, "")
    postfix_later.start()
    mond.start()
    msg = postfix_later.wait_message("alice", "ALERT mail/smtp")
    assert str(msg["Subject"]) == "ALERT mail/smtp: mx1 refuses connections"
    wait_until(lambda: spooled(mond) == [], what="the spool to empty")
    assert len(alert_mails(postfix_later)) == 1
    assert "undelivered alert(s) from a previous run" in mond.log()
