"""pgsql.monitor against a real PostgreSQL primary, a streaming standby
(pg_basebackup -R) and a logical subscription between two databases of
the primary, all started here in a temp dir on free ports (Unix sockets
in the temp dir).  The servers run as the `postgres` user when the test
runs as root; they are stopped (pg_ctl stop -m immediate) at the end."""
import os
import re
import shutil
import socket
import subprocess
import tempfile

import pytest

from conftest import build_path, free_port, run, wait_until

MON = build_path("monitors", "pgsql.monitor")
PGBIN = "/usr/lib/postgresql/15/bin"


def _why_skip():
    if not os.path.exists(os.path.join(PGBIN, "initdb")):
        return f"PostgreSQL 15 server binaries not found in {PGBIN}"
    if os.geteuid() == 0:
        try:
            import pwd
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root but no `postgres` user to run the server"
    return None


pytestmark = pytest.mark.skipif(_why_skip() is not None,
                                reason=_why_skip() or "")


def as_pg(argv):
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + argv
    return argv


def must(argv, **kw):
    r = run(argv, timeout=120, **kw)
    assert r.returncode == 0, f"{argv}: {r.stdout}{r.stderr}"
    return r.stdout


class Cluster:
    def __init__(self, base, name, port):
        self.base, self.name, self.port = base, name, port
        self.data = os.path.join(base, name)
        self.log = os.path.join(base, name + ".log")
        self.addr = f"127.0.0.1:{port}"

    def conf(self, text):
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(text)

    def start(self):
        must(as_pg([f"{PGBIN}/pg_ctl", "-D", self.data, "-l", self.log,
                    "-w", "-t", "60", "start"]))

    def stop(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            run(as_pg([f"{PGBIN}/pg_ctl", "-D", self.data, "-m",
                       "immediate", "-w", "stop"]), timeout=60)

    def sql(self, q, db="postgres"):
        return must([f"{PGBIN}/psql", "-X", "-A", "-t", "-q", "-v",
                     "ON_ERROR_STOP=1", "-h", self.base, "-p",
                     str(self.port), "-U", "postgres", "-d", db,
                     "-c", q]).strip()


HBA = """local all all trust
host all pwuser 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
"""


@pytest.fixture(scope="module")
def pg():
    base = tempfile.mkdtemp(prefix="mond-pgsql-")
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    primary = Cluster(base, "primary", free_port())
    standby = Cluster(base, "standby", free_port())
    try:
        must(as_pg([f"{PGBIN}/initdb", "-D", primary.data, "-U", "postgres",
                    "--auth=trust", "--no-sync", "-E", "UTF8",
                    "--locale=C"]))
        primary.conf(f"""
listen_addresses = '127.0.0.1'
port = {primary.port}
unix_socket_directories = '{base}'
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
fsync = off
shared_buffers = 16MB
max_connections = 30
hot_standby = on
wal_receiver_status_interval = 1s
autovacuum = off
wal_retrieve_retry_interval = 1s
""")
        with open(os.path.join(primary.data, "pg_hba.conf"), "w") as f:
            f.write(HBA)
        primary.start()
        primary.sql("CREATE ROLE mon LOGIN; GRANT pg_monitor TO mon;"
                    "CREATE ROLE pwuser LOGIN PASSWORD 'right';"
                    "CREATE TABLE w (x int); GRANT SELECT ON w TO mon;")
        primary.sql("CREATE DATABASE pub")
        primary.sql("CREATE DATABASE sub")
        primary.sql("CREATE TABLE t (id int PRIMARY KEY);"
                    "CREATE PUBLICATION p FOR TABLE t", db="pub")
        primary.sql("SELECT pg_create_logical_replication_slot("
                    "'s1', 'pgoutput')", db="pub")
        # Same cluster: the slot must exist beforehand (create_slot=false).
        primary.sql("CREATE TABLE t (id int PRIMARY KEY);"
                    f"CREATE SUBSCRIPTION s1 CONNECTION 'host={base} "
                    f"port={primary.port} dbname=pub user=postgres' "
                    "PUBLICATION p WITH (create_slot = false, "
                    "slot_name = 's1', copy_data = false)", db="sub")
        must(as_pg([f"{PGBIN}/pg_basebackup", "-h", "127.0.0.1", "-p",
                    str(primary.port), "-U", "postgres", "-D", standby.data,
                    "-R", "-X", "stream", "-c", "fast", "--no-sync"]))
        standby.conf(f"\nport = {standby.port}\ncluster_name = 'standby1'\n")
        standby.start()
        wait_until(lambda: primary.sql(
            "SELECT count(*) FROM pg_stat_replication WHERE application_name"
            " = 'standby1' AND state = 'streaming'") == "1",
            timeout=30, what="standby streaming")
        # A replayed commit, so the standby has a last replay timestamp.
        primary.sql("INSERT INTO w VALUES (1)")
        wait_until(lambda: standby.sql("SELECT count(*) FROM w") == "1",
                   timeout=30, what="standby replayed the insert")
        yield primary, standby
    finally:
        standby.stop()
        primary.stop()
        shutil.rmtree(base, ignore_errors=True)


def mon(args, env_extra=None, home=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["HOME"] = home or "/nonexistent"
    env.update(env_extra or {})
    r = run([MON, "-t", "10"] + args, timeout=30, env=env)
    lines = r.stdout.split("\n")[:-1]
    return r.returncode, lines, r.stderr


def detail(lines, host):
    """The detail text of host (after 'HOST: STATUS ')."""
    for l in lines[1:]:
        if l.startswith(host + ": "):
            return l[len(host) + 2:]
    pytest.fail(f"no detail line for {host} in {lines}")


NUM = r"[0-9.]+"


def test_two_servers_at_once(pg):
    primary, standby = pg
    rc, out, _ = mon(["-U", "mon", "-d", "postgres", primary.addr,
                      standby.addr])
    assert rc == 0, out
    a, b = sorted([primary.addr, standby.addr])
    assert re.fullmatch(
        rf"\| '?{a}_connect'?={NUM}ms;;;0 '?{a}_query'?={NUM}ms;;;0 "
        rf"'?{b}_connect'?={NUM}ms;;;0 '?{b}_query'?={NUM}ms;;;0", out[0]), \
        out[0]
    assert re.fullmatch(rf"ok connect {NUM} ms, query {NUM} ms",
                        detail(out, primary.addr))


def test_query_and_expect(pg):
    primary, _ = pg
    q = "SELECT count(*) FROM pg_database WHERE datname LIKE 'pub%'"
    rc, out, _ = mon(["-U", "mon", "-q", q, "-e", "1", primary.addr])
    assert rc == 0
    assert detail(out, primary.addr).endswith(
        '; query returned "1" as expected')
    rc, out, _ = mon(["-U", "mon", "-q", q, "-e", "2", primary.addr])
    assert rc == 2
    assert out[0].startswith(primary.addr + " | ")
    assert detail(out, primary.addr).endswith(
        '; query returned "1", expected "2"')
    rc, out, _ = mon(["-U", "mon", "-q", "SELECT * FROM nope",
                      primary.addr])
    assert rc == 2
    assert detail(out, primary.addr).endswith(
        '; the query failed: relation "nope" does not exist')


def test_primary_with_streaming_replica(pg):
    primary, _ = pg
    rc, out, _ = mon(["-U", "mon", "--primary", "--min-replicas", "1",
                      "--max-lag-bytes", "100000000", "--max-lag-seconds",
                      "60", primary.addr])
    assert rc == 0, out
    # The subscription's logical walsender is not counted as a replica.
    assert re.fullmatch(
        rf"ok connect {NUM} ms, query {NUM} ms; primary, 1 replica "
        rf"streaming: standby1 127\.0\.0\.1 streaming async, lag write "
        rf"{NUM} (B|kB) flush {NUM} (B|kB) replay {NUM} (B|kB), {NUM} s",
        detail(out, primary.addr))
    assert f"'{primary.addr}_replicas'=1;;1;0" in out[0] or \
        f"{primary.addr}_replicas=1;;1;0" in out[0]


def test_standby_streaming(pg):
    primary, standby = pg
    rc, out, _ = mon(["-U", "mon", "--standby", "--max-lag-seconds", "60",
                      standby.addr])
    assert rc == 0, out
    assert re.fullmatch(
        rf"ok connect {NUM} ms, query {NUM} ms; standby of "
        rf"127\.0\.0\.1:{primary.port}, receiver streaming, replay "
        rf"{NUM} (B|kB) {NUM} s behind", detail(out, standby.addr))


def test_wrong_role(pg):
    primary, standby = pg
    rc, out, _ = mon(["-U", "mon", "--standby", primary.addr])
    assert rc == 2
    assert detail(out, primary.addr).endswith(
        "; not in recovery: a primary, not a standby (promoted?)")
    rc, out, _ = mon(["-U", "mon", "--primary", standby.addr])
    assert rc == 2
    assert detail(out, standby.addr).endswith(
        "; in recovery: a standby, not a primary")


def test_idle_primary_is_not_growing_lag(pg):
    primary, standby = pg
    # Nothing written for a while: the last replayed transaction ages, but
    # nothing is outstanding, so there is no lag.
    wait_until(lambda: float(standby.sql(
        "SELECT extract(epoch FROM now() - "
        "pg_last_xact_replay_timestamp())")) > 1.5,
        timeout=30, what="last replay older than 1.5 s")
    rc, out, _ = mon(["-U", "mon", "--standby", "--max-lag-seconds", "1",
                      standby.addr])
    assert rc == 0, out
    assert detail(out, standby.addr).endswith(", replay 0 B 0.000 s behind")
    rc, out, _ = mon(["-U", "mon", "--primary", "--max-lag-seconds", "1",
                      primary.addr])
    assert rc == 0, out


def test_password(pg, tmp_path):
    primary, _ = pg
    args = ["-U", "pwuser", "-d", "postgres", primary.addr]
    rc, out, _ = mon(args, {"PGPASSWORD": "wrong"})
    assert rc == 3
    assert out[0] == primary.addr
    assert out[1] == (f'{primary.addr}: UNKNOWN authentication failed: '
                      'FATAL: password authentication failed for user '
                      '"pwuser"')
    rc, out, _ = mon(args)
    assert rc == 3
    assert out[1] == (f"{primary.addr}: UNKNOWN authentication failed: "
                      "fe_sendauth: no password supplied")
    rc, out, _ = mon(args, {"PGPASSWORD": "right"})
    assert rc == 0, out
    # ~/.pgpass is read too (libpq's own lookup).
    pgpass = tmp_path / ".pgpass"
    pgpass.write_text(f"127.0.0.1:{primary.port}:*:pwuser:right\n")
    pgpass.chmod(0o600)
    rc, out, _ = mon(args, home=str(tmp_path))
    assert rc == 0, out


def test_refused_next_to_a_good_server(pg):
    primary, _ = pg
    dead = f"127.0.0.1:{free_port()}"
    rc, out, _ = mon(["-U", "mon", dead, primary.addr])
    assert rc == 2
    assert out[0].startswith(dead + " | ")
    assert f"{dead}: CRITICAL connection refused: Connection refused" in out
    assert detail(out, primary.addr).startswith("ok connect ")


def test_no_socket(tmp_path):
    rc, out, _ = mon([f"{tmp_path}:5432"])
    assert rc == 2
    assert out == [f"{tmp_path}:5432",
                   f"{tmp_path}:5432: CRITICAL connection refused (no "
                   "server socket): No such file or directory"]


def test_timeout_on_silent_server():
    # Accepts TCP (kernel backlog) but never answers the startup packet.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        host = f"127.0.0.1:{s.getsockname()[1]}"
        r = run([MON, "-t", "0.5", host], timeout=30)
    assert r.returncode == 2
    assert r.stdout == (f"{host}\n{host}: CRITICAL timeout after 0.5 s "
                        "while connecting\n")


def test_subscription(pg):
    primary, _ = pg
    args = ["-U", "mon", "-d", "sub", "--subscription", "s1", primary.addr]

    def state():
        return mon(args)

    rc, out, _ = wait_until(lambda: (lambda r: r if r[0] == 0 else None)(
        state()), timeout=30, what="subscription worker running")
    assert re.search(r"; subscription s1 enabled, worker pid \d+",
                     detail(out, primary.addr))
    primary.sql("ALTER SUBSCRIPTION s1 DISABLE", db="sub")
    try:
        rc, out, _ = state()
        assert rc == 2
        assert out[0].startswith(primary.addr + " | ")
        assert detail(out, primary.addr).endswith(
            "; subscription s1 disabled")
    finally:
        primary.sql("ALTER SUBSCRIPTION s1 ENABLE", db="sub")
    wait_until(lambda: state()[0] == 0, timeout=30,
               what="subscription running again")
    rc, out, _ = mon(["-U", "mon", "-d", "sub", "--subscription", "nosuch",
                      primary.addr])
    assert rc == 2
    assert detail(out, primary.addr).endswith(
        "; subscription nosuch does not exist in database sub")


def test_replay_paused_lag(pg):
    primary, standby = pg
    standby.sql("SELECT pg_wal_replay_pause()")
    try:
        primary.sql("INSERT INTO w SELECT generate_series(1, 20000)")
        wait_until(lambda: int(standby.sql(
            "SELECT pg_wal_lsn_diff(pg_last_wal_receive_lsn(), "
            "pg_last_wal_replay_lsn())")) > 100000,
            timeout=30, what="standby received WAL it does not replay")
        rc, out, _ = mon(["-U", "mon", "--standby", "--max-lag-bytes",
                          "100000", standby.addr])
        assert rc == 1, out
        assert out[0].startswith(standby.addr + " | ")
        d = detail(out, standby.addr)
        assert re.search(rf"; replay lag {NUM} (kB|MB) over 97\.7 kB; "
                         rf"standby of .*, receiver streaming, replay "
                         rf"paused, {NUM} (kB|MB) {NUM} s behind$", d), d
        # The replay timestamp is used while WAL is outstanding: the lag
        # in seconds grows past the limit.
        rc, out, _ = wait_until(lambda: (lambda r: r if r[0] == 1 else None)(
            mon(["-U", "mon", "--standby", "--max-lag-seconds", "1",
                 standby.addr])), timeout=30, what="lag over 1 s")
        assert re.search(rf"; replay lag {NUM} s over 1 s;",
                         detail(out, standby.addr))
        # The primary sees the same replica behind.
        rc, out, _ = wait_until(lambda: (lambda r: r if r[0] == 1 else None)(
            mon(["-U", "mon", "--primary", "--max-lag-bytes", "100000",
                 primary.addr])), timeout=30, what="primary sees lag")
        assert re.search(rf"; replica standby1 127\.0\.0\.1 replay lag "
                         rf"{NUM} (kB|MB) over 97\.7 kB;",
                         detail(out, primary.addr))
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")
    wait_until(lambda: mon(["-U", "mon", "--standby", "--max-lag-bytes",
                            "100000", standby.addr])[0] == 0,
               timeout=30, what="standby caught up")


def test_primary_gone_standby_not_receiving(pg):
    primary, standby = pg
    primary.stop()
    try:
        args = ["-U", "mon", "--standby", standby.addr]
        rc, out, _ = wait_until(lambda: (lambda r: r if r[0] == 2 else None)(
            mon(args)), timeout=30, what="standby without WAL receiver")
        assert out[0].startswith(standby.addr + " | ")
        assert re.fullmatch(
            rf"connect {NUM} ms, query {NUM} ms; not receiving WAL: no WAL "
            rf"receiver running; standby of \?, receiver none, replay "
            rf"{NUM} (B|kB|MB) {NUM} s behind", detail(out, standby.addr)[9:]), \
            detail(out, standby.addr)
    finally:
        primary.start()
    wait_until(lambda: mon(["-U", "mon", "--primary", "--min-replicas", "1",
                            primary.addr])[0] == 0,
               timeout=60, what="standby streaming again")


def test_standby_stopped(pg):
    # Last: it stops the standby.
    primary, standby = pg
    standby.stop()
    args = ["-U", "mon", "--primary", "--min-replicas", "1", primary.addr,
            standby.addr]
    rc, out, _ = wait_until(lambda: (lambda r: r if r[0] == 2 and
                                     "too few" in r[1][0] + "".join(r[1])
                                     else None)(mon(args)),
                            timeout=30, what="primary without replicas")
    assert out[0].startswith(" ".join(sorted([primary.addr, standby.addr]))
                             + " | ")
    assert detail(out, primary.addr).endswith(
        "; too few replicas: 0 streaming, 1 wanted; primary, 0 replicas "
        "streaming")
    assert (f"{standby.addr}: CRITICAL connection refused: Connection "
            "refused") in out


@pytest.mark.parametrize("args,msg", [
    ([], "no host given"),
    (["--port", "0", "h"], '--port: "0" is not a port 1..65535'),
    (["--primary", "--standby", "h"],
     "--primary and --standby exclude each other"),
    (["--min-replicas", "1", "h"], "--min-replicas needs --primary"),
    (["--max-lag-seconds", "5", "h"],
     "--max-lag-bytes/--max-lag-seconds need --primary or --standby"),
    (["--sslmode", "maybe", "h"], '--sslmode: "maybe" is not one of '
     "disable, allow, prefer, require, verify-ca, verify-full"),
    (["-t", "soon", "h"], '--timeout: "soon" is not a number of seconds'),
    (["h:99999"], 'host port: "99999" is not a port 1..65535'),
    (["--bogus"], "unknown option '--bogus'"),
])
def test_bad_arguments(args, msg):
    r = run([MON] + args, timeout=10)
    assert r.returncode == 3
    assert r.stdout == ""
    assert r.stderr == (f"pgsql.monitor: {msg}\n"
                        "Try 'pgsql.monitor --help' for more information.\n")


def test_help():
    r = run([MON, "--help"], timeout=10)
    assert r.returncode == 0
    for opt in ("--port", "--dbname", "--user", "--sslmode", "--query",
                "--expect", "--timeout", "--primary", "--min-replicas",
                "--max-lag-bytes", "--max-lag-seconds", "--standby",
                "--subscription", "--help", "Exit status: 0 all ok"):
        assert opt in r.stdout


def test_login_rejected(pg):
    primary, _ = pg
    rc, out, _ = mon(["-U", "mon", "-d", "nosuchdb", primary.addr])
    assert rc == 2
    assert out == [primary.addr,
                   f'{primary.addr}: CRITICAL login rejected: FATAL: '
                   'database "nosuchdb" does not exist']
