/*
 * pgsql.monitor — PostgreSQL servers, their replication and subscriptions.
 *
 * Every host on the command line is checked at once: one libpq
 * connection each, started with PQconnectStartParams and driven by
 * PQconnectPoll, then a short chain of queries sent with PQsendQuery in
 * non-blocking mode, all in one poll() loop under one deadline (-t).  A
 * host still busy at the deadline fails with the step it was waiting for.
 *
 * Per host the chain is:
 *   query      SELECT 1, or --query (its first value compared to --expect)
 *   role       --primary: the server must not be in recovery
 *   replicas   --primary: pg_stat_replication (physical walsenders only;
 *              logical ones serve subscriptions): count, state, lag
 *   standby    --standby: in recovery, a WAL receiver streaming, replay
 *              lag measured so that an idle primary is not lag (below)
 *   subs       --subscription NAME: enabled and its apply worker alive
 *
 * Standby lag: now() - pg_last_xact_replay_timestamp() grows forever
 * while the primary is idle, though nothing is outstanding.  So the lag
 * in seconds counts only while received WAL is not yet replayed
 * (pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()); otherwise 0.
 * On the primary, pg_stat_replication's *_lag columns already go NULL
 * once a standby has caught up.
 *
 * Replication and subscription views need the pg_monitor role (or a
 * superuser) to show LSNs and states; without it the check says so.
 *
 * libpq resolves host names inside PQconnectStartParams, synchronously;
 * numeric addresses and socket directories never block.  Were that to
 * matter, names would be resolved first with c-ares (as netconn.c does)
 * and passed as hostaddr.
 */
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#define PG_MAX_HOSTS   256
#define PG_MAX_SUBS    16
#define PG_DETAIL_MAX  2048
#define PG_DEFAULT_TIMEOUT_MS 10000

static const char *prog = "pgsql.monitor";

struct opts {
    const char *port, *dbname, *user, *sslmode;
    const char *query, *expect;
    int64_t timeout_ms;
    bool primary, standby;
    int min_replicas;               /* -1: no requirement */
    double max_lag_bytes;           /* NAN: no limit */
    double max_lag_s;               /* NAN: no limit */
    const char *subs[PG_MAX_SUBS];
    int nsubs;
};

enum pg_step { STEP_QUERY, STEP_ROLE, STEP_REPLICAS, STEP_STANDBY, STEP_SUB,
               STEP_DONE };

static const char *const step_names[] = {
    "the query", "the recovery state", "pg_stat_replication",
    "the standby state", "the subscription state", "nothing",
};

struct pg_host {
    const char *arg;                /* as given: the item name */
    char host[256];
    char port[8];
    PGconn *conn;
    bool connecting, flushing, done, abort;
    PostgresPollingStatusType pst;
    enum pg_step step;
    int sub_i;
    int64_t t0_us, t_conn_us, t_step_us, t_query_us;
    enum mon_status st;
    char detail[PG_DETAIL_MAX];
    /* perfdata, emitted in host order at the end */
    int replicas;                   /* -1: not measured */
    double lag_bytes, lag_s;        /* NAN: not measured */
    bool got_first;                 /* --query: first value seen */
};

/* ---- small helpers ---- */

static enum mon_status
worse(enum mon_status a, enum mon_status b)
{
    /* Same order as report_worst(): ok < warning < unknown < critical. */
    static const int rank[] = { 0, 1, 3, 2 };
    return rank[b] > rank[a] ? b : a;
}

/* Append "; text" to the host's detail and raise its status. */
static void __attribute__((format(printf, 3, 4)))
note(struct pg_host *h, enum mon_status st, const char *fmt, ...)
{
    h->st = worse(h->st, st);
    size_t l = strlen(h->detail);
    if (l + 3 >= sizeof(h->detail))
        return;
    if (l) {
        memcpy(h->detail + l, "; ", 3);
        l += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->detail + l, sizeof(h->detail) - l, fmt, ap);
    va_end(ap);
}

/* libpq's message, first line, without the "connection to server at
 * ... failed: " preamble and the double spaces after "FATAL:". */
static void
clean_msg(const char *in, char *out, size_t n)
{
    const char *p = in;
    if (strncmp(p, "connection to server ", 21) == 0) {
        const char *f = strstr(p, " failed: ");
        if (f)
            p = f + 9;
    }
    size_t j = 0;
    for (; *p && *p != '\n' && j + 1 < n; p++) {
        if (*p == ' ' && j > 0 && out[j - 1] == ' ')
            continue;
        out[j++] = *p;
    }
    while (j > 0 && out[j - 1] == ' ')
        j--;
    out[j] = '\0';
}

/* Connection failures by cause: authentication is the monitor's own
 * problem (could not check), the others mean the service is down. */
static void
connect_failed(struct pg_host *h)
{
    char msg[512];
    const char *raw = PQerrorMessage(h->conn);
    clean_msg(raw, msg, sizeof(msg));
    const char *cls = "connection failed";
    enum mon_status st = MON_CRIT;
    if (strstr(raw, "password authentication failed") ||
        strstr(raw, "authentication failed") ||
        strstr(raw, "no password supplied") ||
        strstr(raw, "pg_hba.conf rejects")) {
        cls = "authentication failed";
        st = MON_UNKNOWN;
    } else if (strstr(raw, "Connection refused")) {
        cls = "connection refused";
    } else if (strstr(raw, "No such file or directory")) {
        cls = "connection refused (no server socket)";
    } else if (strstr(raw, "could not translate host name")) {
        cls = "name not resolved";
    } else if (strstr(raw, "does not exist")) {
        cls = "login rejected";     /* role or database missing */
    } else if (strstr(raw, "starting up") || strstr(raw, "shutting down")) {
        cls = "server not accepting connections";
    }
    note(h, st, "%s: %s", cls, msg);
}

static void
host_finish(struct pg_host *h)
{
    if (h->conn)
        PQfinish(h->conn);
    h->conn = NULL;
    h->done = true;
}

static double
num_or_nan(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return NAN;
    char *end;
    const char *s = PQgetvalue(res, row, col);
    double v = strtod(s, &end);
    return end == s ? NAN : v;
}

static bool
bool_val(const PGresult *res, int row, int col)
{
    return !PQgetisnull(res, row, col) && PQgetvalue(res, row, col)[0] == 't';
}

/* Human-readable byte count ("0 B", "1.2 MB"). */
static void
fmt_bytes(char *buf, size_t n, double b)
{
    if (isnan(b))
        snprintf(buf, n, "?");
    else if (b < 1024)
        snprintf(buf, n, "%.0f B", b);
    else if (b < 1024 * 1024)
        snprintf(buf, n, "%.1f kB", b / 1024);
    else
        snprintf(buf, n, "%.1f MB", b / (1024 * 1024));
}

/* ---- the query chain ---- */

static const char SQL_ROLE[] = "SELECT pg_is_in_recovery()";

/* Physical standbys only: a walsender holding a logical slot feeds a
 * subscription, not a replica. */
static const char SQL_REPLICAS[] =
    "SELECT r.application_name, coalesce(host(r.client_addr), 'local'),"
    " r.state, r.sync_state,"
    " pg_wal_lsn_diff(pg_current_wal_lsn(), r.replay_lsn)::bigint,"
    " extract(epoch FROM greatest(r.write_lag, r.flush_lag, r.replay_lag)),"
    " pg_wal_lsn_diff(pg_current_wal_lsn(), r.write_lsn)::bigint,"
    " pg_wal_lsn_diff(pg_current_wal_lsn(), r.flush_lsn)::bigint"
    " FROM pg_stat_replication r"
    " WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots s"
    "  WHERE s.active_pid = r.pid AND s.slot_type = 'logical')"
    " ORDER BY 1, 2";

static const char SQL_STANDBY[] =
    "SELECT pg_is_in_recovery(),"
    " pg_wal_lsn_diff(pg_last_wal_receive_lsn(),"
    "  pg_last_wal_replay_lsn())::bigint,"
    " extract(epoch FROM now() - pg_last_xact_replay_timestamp()),"
    " CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END,"
    " (SELECT status FROM pg_stat_wal_receiver LIMIT 1),"
    " (SELECT sender_host || ':' || sender_port FROM pg_stat_wal_receiver"
    "  LIMIT 1),"
    " EXISTS (SELECT 1 FROM pg_stat_wal_receiver)";

static const char SQL_SUB[] =
    "SELECT s.subenabled, w.pid,"
    " extract(epoch FROM now() - w.last_msg_receipt_time)"
    " FROM pg_subscription s"
    " LEFT JOIN pg_stat_subscription w"
    "  ON w.subid = s.oid AND w.relid IS NULL"
    " WHERE s.subname = $1 AND s.subdbid ="
    "  (SELECT oid FROM pg_database WHERE datname = current_database())";

static enum pg_step
next_step(const struct pg_host *h, const struct opts *o)
{
    enum pg_step after_role = o->nsubs ? STEP_SUB : STEP_DONE;
    switch (h->step) {
    case STEP_QUERY:
        if (o->primary)
            return STEP_ROLE;
        return o->standby ? STEP_STANDBY : after_role;
    case STEP_ROLE:
        return STEP_REPLICAS;
    case STEP_REPLICAS:
    case STEP_STANDBY:
        return after_role;
    case STEP_SUB:
        return h->sub_i + 1 < o->nsubs ? STEP_SUB : STEP_DONE;
    default:
        return STEP_DONE;
    }
}

/* Send the current step's query.  0, or -1 with the host failed. */
static int
send_step(struct pg_host *h, const struct opts *o)
{
    int ok;
    h->t_step_us = mono_us();
    switch (h->step) {
    case STEP_QUERY:
        ok = PQsendQuery(h->conn, o->query);
        break;
    case STEP_ROLE:
        ok = PQsendQuery(h->conn, SQL_ROLE);
        break;
    case STEP_REPLICAS:
        ok = PQsendQuery(h->conn, SQL_REPLICAS);
        break;
    case STEP_STANDBY:
        ok = PQsendQuery(h->conn, SQL_STANDBY);
        break;
    case STEP_SUB: {
        const char *params[1] = { o->subs[h->sub_i] };
        ok = PQsendQueryParams(h->conn, SQL_SUB, 1, NULL, params, NULL,
                               NULL, 0);
        break;
    }
    default:
        return 0;
    }
    if (!ok) {
        char msg[512];
        clean_msg(PQerrorMessage(h->conn), msg, sizeof(msg));
        note(h, MON_CRIT, "cannot send %s: %s", step_names[h->step], msg);
        host_finish(h);
        return -1;
    }
    h->flushing = true;
    return 0;
}

/* Advance to the next step, or finish the host. */
static void
advance(struct pg_host *h, const struct opts *o)
{
    if (h->step == STEP_QUERY)
        h->t_query_us = mono_us() - h->t_step_us;
    if (h->abort) {
        host_finish(h);
        return;
    }
    enum pg_step prev = h->step;
    h->step = next_step(h, o);
    if (prev == STEP_SUB && h->step == STEP_SUB)
        h->sub_i++;
    if (h->step == STEP_DONE)
        host_finish(h);
    else
        send_step(h, o);
}

static void
on_query(struct pg_host *h, const PGresult *res, const struct opts *o)
{
    if (h->got_first || PQresultStatus(res) != PGRES_TUPLES_OK)
        return;
    h->got_first = true;
    if (o->expect == NULL)
        return;
    if (PQntuples(res) < 1 || PQnfields(res) < 1) {
        note(h, MON_CRIT, "query returned no rows, expected \"%s\"",
             o->expect);
        return;
    }
    const char *v = PQgetisnull(res, 0, 0) ? "NULL" : PQgetvalue(res, 0, 0);
    if (strcmp(v, o->expect) != 0)
        note(h, MON_CRIT, "query returned \"%.80s\", expected \"%s\"", v,
             o->expect);
    else
        note(h, MON_OK, "query returned \"%s\" as expected", o->expect);
}

static void
on_role(struct pg_host *h, const PGresult *res)
{
    if (PQntuples(res) != 1)
        return;
    if (bool_val(res, 0, 0)) {
        note(h, MON_CRIT, "in recovery: a standby, not a primary");
        h->abort = true;            /* no replicas step */
    }
}

static void
on_replicas(struct pg_host *h, const PGresult *res, const struct opts *o)
{
    int n = PQntuples(res), streaming = 0;
    char list[1024] = "";
    h->lag_bytes = 0;
    h->lag_s = 0;
    for (int i = 0; i < n; i++) {
        const char *name = PQgetvalue(res, i, 0);
        const char *addr = PQgetvalue(res, i, 1);
        if (PQgetisnull(res, i, 2)) {
            note(h, MON_UNKNOWN, "cannot see replication state of %s "
                 "(grant pg_monitor to the monitor's user)", name);
            continue;
        }
        const char *state = PQgetvalue(res, i, 2);
        const char *sync = PQgetvalue(res, i, 3);
        double bytes = num_or_nan(res, i, 4), secs = num_or_nan(res, i, 5);
        if (isnan(secs))
            secs = 0;               /* NULL: caught up and idle */
        if (strcmp(state, "streaming") == 0)
            streaming++;
        else
            note(h, MON_WARN, "replica %s %s is %s", name, addr, state);
        if (!isnan(bytes) && bytes > h->lag_bytes)
            h->lag_bytes = bytes;
        if (secs > h->lag_s)
            h->lag_s = secs;
        char b[32], wb[32], fb[32];
        fmt_bytes(b, sizeof(b), bytes);
        fmt_bytes(wb, sizeof(wb), num_or_nan(res, i, 6));
        fmt_bytes(fb, sizeof(fb), num_or_nan(res, i, 7));
        size_t l = strlen(list);
        snprintf(list + l, sizeof(list) - l, "%s%s %s %s %s, lag write %s "
                 "flush %s replay %s, %.3f s", l ? "; " : "", name, addr,
                 state, sync, wb, fb, b, secs);
        if (!isnan(o->max_lag_bytes) && !isnan(bytes) &&
            bytes > o->max_lag_bytes) {
            char lim[32];
            fmt_bytes(lim, sizeof(lim), o->max_lag_bytes);
            note(h, MON_WARN, "replica %s %s replay lag %s over %s", name,
                 addr, b, lim);
        }
        if (!isnan(o->max_lag_s) && secs > o->max_lag_s)
            note(h, MON_WARN, "replica %s %s lag %.3f s over %g s", name,
                 addr, secs, o->max_lag_s);
    }
    h->replicas = streaming;
    if (o->min_replicas >= 0 && streaming < o->min_replicas)
        note(h, MON_CRIT, "too few replicas: %d streaming, %d wanted",
             streaming, o->min_replicas);
    note(h, MON_OK, "primary, %d replica%s streaming%s%s", streaming,
         streaming == 1 ? "" : "s", n ? ": " : "", list);
}

static void
on_standby(struct pg_host *h, const PGresult *res, const struct opts *o)
{
    if (PQntuples(res) != 1)
        return;
    if (!bool_val(res, 0, 0)) {
        note(h, MON_CRIT, "not in recovery: a primary, not a standby "
             "(promoted?)");
        return;
    }
    double outstanding = num_or_nan(res, 0, 1);
    double since_replay = num_or_nan(res, 0, 2);
    bool paused = bool_val(res, 0, 3);
    bool receiver = bool_val(res, 0, 6);
    const char *status = PQgetisnull(res, 0, 4) ? NULL
                                                 : PQgetvalue(res, 0, 4);
    const char *sender = PQgetisnull(res, 0, 5) ? "?"
                                                 : PQgetvalue(res, 0, 5);
    if (!receiver)
        note(h, MON_CRIT, "not receiving WAL: no WAL receiver running");
    else if (status == NULL)
        note(h, MON_UNKNOWN, "cannot see the WAL receiver (grant "
             "pg_monitor to the monitor's user)");
    else if (strcmp(status, "streaming") != 0)
        note(h, MON_WARN, "WAL receiver %s, not streaming", status);

    /* Lag counts only while received WAL waits to be replayed; with
     * nothing outstanding the standby is current however old its last
     * replayed transaction is (an idle primary). */
    double lag_s = 0;
    if (!isnan(outstanding) && outstanding > 0)
        lag_s = isnan(since_replay) ? 0 : since_replay;
    if (isnan(outstanding))
        outstanding = 0;
    h->lag_bytes = outstanding;
    h->lag_s = lag_s;
    char b[32];
    fmt_bytes(b, sizeof(b), outstanding);
    if (!isnan(o->max_lag_bytes) && outstanding > o->max_lag_bytes) {
        char lim[32];
        fmt_bytes(lim, sizeof(lim), o->max_lag_bytes);
        note(h, MON_WARN, "replay lag %s over %s", b, lim);
    }
    if (!isnan(o->max_lag_s) && lag_s > o->max_lag_s)
        note(h, MON_WARN, "replay lag %.3f s over %g s", lag_s, o->max_lag_s);
    note(h, MON_OK, "standby of %s, receiver %s, replay %s%s %.3f s behind",
         sender, status ? status : "none", paused ? "paused, " : "", b,
         lag_s);
}

static void
on_sub(struct pg_host *h, const PGresult *res, const struct opts *o)
{
    const char *name = o->subs[h->sub_i];
    if (PQntuples(res) < 1) {
        note(h, MON_CRIT, "subscription %s does not exist in database %s",
             name, PQdb(h->conn));
        return;
    }
    if (!bool_val(res, 0, 0)) {
        note(h, MON_CRIT, "subscription %s disabled", name);
        return;
    }
    if (PQgetisnull(res, 0, 1)) {
        note(h, MON_CRIT, "subscription %s enabled but its apply worker is "
             "not running", name);
        return;
    }
    double last = num_or_nan(res, 0, 2);
    if (isnan(last))
        note(h, MON_OK, "subscription %s enabled, worker pid %s", name,
             PQgetvalue(res, 0, 1));
    else
        note(h, MON_OK, "subscription %s enabled, worker pid %s, last "
             "message %.1f s ago", name, PQgetvalue(res, 0, 1), last);
}

static void
on_result(struct pg_host *h, PGresult *res, const struct opts *o)
{
    ExecStatusType rs = PQresultStatus(res);
    if (rs == PGRES_FATAL_ERROR || rs == PGRES_BAD_RESPONSE ||
        rs == PGRES_NONFATAL_ERROR) {
        const char *m = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        char msg[512];
        clean_msg(m ? m : PQresultErrorMessage(res), msg, sizeof(msg));
        note(h, MON_CRIT, "%s failed: %s", step_names[h->step], msg);
        h->abort = true;
        return;
    }
    if (rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK &&
        rs != PGRES_EMPTY_QUERY) {
        note(h, MON_CRIT, "%s: unexpected result %s", step_names[h->step],
             PQresStatus(rs));
        h->abort = true;
        return;
    }
    if (rs != PGRES_TUPLES_OK && h->step != STEP_QUERY) {
        h->abort = true;
        return;
    }
    switch (h->step) {
    case STEP_QUERY: on_query(h, res, o); break;
    case STEP_ROLE: on_role(h, res); break;
    case STEP_REPLICAS: on_replicas(h, res, o); break;
    case STEP_STANDBY: on_standby(h, res, o); break;
    case STEP_SUB: on_sub(h, res, o); break;
    default: break;
    }
}

/* ---- the loop ---- */

static void
host_start(struct pg_host *h, const struct opts *o)
{
    const char *kw[] = { "host", "port", "dbname", "user", "sslmode",
                         "application_name", NULL };
    const char *val[] = { h->host, h->port[0] ? h->port : o->port,
                          o->dbname, o->user, o->sslmode, "mond pgsql.monitor",
                          NULL };
    h->replicas = -1;
    h->lag_bytes = h->lag_s = NAN;
    h->t_conn_us = h->t_query_us = -1;
    h->t0_us = mono_us();
    h->conn = PQconnectStartParams(kw, val, 0);
    if (h->conn == NULL) {
        fputs("out of memory\n", stderr);
        abort();
    }
    if (PQstatus(h->conn) == CONNECTION_BAD) {
        connect_failed(h);
        host_finish(h);
        return;
    }
    h->connecting = true;
    h->pst = PGRES_POLLING_WRITING;
}

static void
on_connect_event(struct pg_host *h, const struct opts *o)
{
    h->pst = PQconnectPoll(h->conn);
    if (h->pst == PGRES_POLLING_FAILED) {
        connect_failed(h);
        host_finish(h);
    } else if (h->pst == PGRES_POLLING_OK) {
        h->connecting = false;
        h->t_conn_us = mono_us() - h->t0_us;
        if (PQsetnonblocking(h->conn, 1) != 0) {
            note(h, MON_CRIT, "cannot set non-blocking mode");
            host_finish(h);
            return;
        }
        h->step = STEP_QUERY;
        send_step(h, o);
    }
}

static void
on_query_event(struct pg_host *h, short revents, const struct opts *o)
{
    if (revents & (POLLIN | POLLERR | POLLHUP)) {
        if (!PQconsumeInput(h->conn)) {
            char msg[512];
            clean_msg(PQerrorMessage(h->conn), msg, sizeof(msg));
            note(h, MON_CRIT, "connection lost during %s: %s",
                 step_names[h->step], msg);
            host_finish(h);
            return;
        }
    }
    if (h->flushing) {
        int f = PQflush(h->conn);
        if (f < 0) {
            char msg[512];
            clean_msg(PQerrorMessage(h->conn), msg, sizeof(msg));
            note(h, MON_CRIT, "cannot send %s: %s", step_names[h->step], msg);
            host_finish(h);
            return;
        }
        h->flushing = f == 1;
    }
    while (!h->done && !h->flushing && !PQisBusy(h->conn)) {
        PGresult *res = PQgetResult(h->conn);
        if (res == NULL) {
            advance(h, o);          /* next query sent, or host done */
            break;
        }
        on_result(h, res, o);
        PQclear(res);
    }
}

static void
run_all(struct pg_host *hosts, int n, const struct opts *o)
{
    int64_t deadline = mono_ms() + o->timeout_ms;
    for (int i = 0; i < n; i++)
        host_start(&hosts[i], o);
    static struct pollfd pfd[PG_MAX_HOSTS];
    static int idx[PG_MAX_HOSTS];
    for (;;) {
        int np = 0;
        for (int i = 0; i < n; i++) {
            struct pg_host *h = &hosts[i];
            if (h->done)
                continue;
            int fd = PQsocket(h->conn);
            if (fd < 0) {
                note(h, MON_CRIT, "connection failed: no socket");
                host_finish(h);
                continue;
            }
            short ev;
            if (h->connecting)
                ev = h->pst == PGRES_POLLING_READING ? POLLIN : POLLOUT;
            else
                ev = POLLIN | (h->flushing ? POLLOUT : 0);
            pfd[np] = (struct pollfd){ .fd = fd, .events = ev };
            idx[np++] = i;
        }
        if (np == 0)
            return;
        int64_t left = deadline - mono_ms();
        if (left <= 0)
            break;
        int r = poll(pfd, (nfds_t)np, (int)left);
        if (r < 0 && errno != EINTR)
            report_fatal("poll: %s", strerror(errno));
        for (int k = 0; r > 0 && k < np; k++) {
            if (pfd[k].revents == 0)
                continue;
            struct pg_host *h = &hosts[idx[k]];
            if (h->connecting)
                on_connect_event(h, o);
            else
                on_query_event(h, pfd[k].revents, o);
        }
    }
    for (int i = 0; i < n; i++) {
        struct pg_host *h = &hosts[i];
        if (h->done)
            continue;
        if (h->connecting)
            note(h, MON_CRIT, "timeout after %.1f s while connecting",
                 (double)o->timeout_ms / 1000);
        else
            note(h, MON_CRIT, "timeout after %.1f s waiting for %s",
                 (double)o->timeout_ms / 1000, step_names[h->step]);
        host_finish(h);
    }
}

/* ---- options ---- */

static void
usage(FILE *out)
{
    fprintf(out,
"Usage: %s [OPTION]... HOST[:PORT]...\n"
"Check PostgreSQL servers, all at once: connect, run a query, and\n"
"optionally check streaming replication and logical subscriptions.\n"
"HOST is a name, an address ([::1] for IPv6) or a Unix socket directory\n"
"(/run/postgresql); :PORT overrides --port for that host.\n"
"\n"
"  -p, --port PORT           server port (default: libpq's, 5432)\n"
"  -d, --dbname NAME         database (default postgres, which every\n"
"                            cluster has; libpq's own default would be\n"
"                            the user name)\n"
"  -U, --user NAME           user (default: libpq's, PGUSER or the login\n"
"                            name); the password comes from PGPASSWORD or\n"
"                            ~/.pgpass (PGPASSFILE)\n"
"      --sslmode MODE        disable, allow, prefer, require, verify-ca,\n"
"                            verify-full (default: libpq's, prefer)\n"
"  -q, --query SQL           query to run (default: SELECT 1)\n"
"  -e, --expect VALUE        the query's first value must equal VALUE\n"
"  -t, --timeout SECONDS     one deadline for every host (default 10)\n"
"      --primary             must not be in recovery; list replicas from\n"
"                            pg_stat_replication\n"
"      --min-replicas N      with --primary: at least N replicas streaming\n"
"                            (fewer is critical)\n"
"      --max-lag-bytes B     replay lag in bytes over B is a warning\n"
"                            (--primary: any replica; --standby: received\n"
"                            WAL not yet replayed)\n"
"      --max-lag-seconds S   replay lag over S seconds is a warning; on a\n"
"                            standby counted only while received WAL is\n"
"                            outstanding, so an idle primary is not lag\n"
"      --standby             must be in recovery with a streaming WAL\n"
"                            receiver (none is critical)\n"
"      --subscription NAME   logical subscription NAME in --dbname must be\n"
"                            enabled with its apply worker running\n"
"                            (repeatable)\n"
"  -h, --help                show this help and exit\n"
"\n"
"Replication views need the pg_monitor role (GRANT pg_monitor TO user).\n"
"The detail says why a host failed: authentication failed, connection\n"
"refused, timeout (and in which step), query failed.\n"
"\n"
"Exit status: 0 all ok, 1 warning (lag, replica not streaming), 2 critical\n"
"(down, refused, timeout, query failed or unexpected, too few replicas,\n"
"wrong role, subscription disabled), 3 could not check (authentication\n"
"failed, missing privilege, bad arguments).\n", prog);
}

static double
parse_num(const char *opt, const char *s, double lo, double hi)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno || !(v >= lo && v <= hi))
        report_usage(prog, "%s: \"%s\" is not a number in %g..%g", opt, s,
                     lo, hi);
    return v;
}

static const char *
check_port(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < 1 || v > 65535)
        report_usage(prog, "%s: \"%s\" is not a port 1..65535", opt, s);
    return s;
}

/* HOST[:PORT], [V6]:PORT, /socket/dir[:PORT]; a bare IPv6 address has
 * no port. */
static void
parse_host(const char *arg, struct pg_host *h)
{
    const char *colon = NULL, *end = arg + strlen(arg);
    if (arg[0] == '[') {
        const char *rb = strchr(arg, ']');
        if (rb == NULL || rb == arg + 1 || (rb[1] && rb[1] != ':'))
            report_usage(prog, "bad host \"%s\": expected [ADDRESS]:PORT",
                         arg);
        if ((size_t)(rb - arg - 1) >= sizeof(h->host))
            report_usage(prog, "host \"%s\" too long", arg);
        memcpy(h->host, arg + 1, (size_t)(rb - arg - 1));
        h->host[rb - arg - 1] = '\0';
        colon = rb[1] ? rb + 1 : NULL;
    } else {
        colon = strrchr(arg, ':');
        if (colon && arg[0] != '/' && strchr(arg, ':') != colon)
            colon = NULL;           /* bare IPv6 */
        size_t hl = (size_t)((colon ? colon : end) - arg);
        if (hl == 0 || hl >= sizeof(h->host))
            report_usage(prog, "bad host \"%s\"", arg);
        memcpy(h->host, arg, hl);
        h->host[hl] = '\0';
    }
    if (colon) {
        check_port("host port", colon + 1);
        snprintf(h->port, sizeof(h->port), "%s", colon + 1);
    }
    h->arg = arg;
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
    enum { O_SSL = 256, O_PRIMARY, O_STANDBY, O_MINREP, O_LAGB, O_LAGS,
           O_SUB };
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},
        {"dbname", required_argument, NULL, 'd'},
        {"user", required_argument, NULL, 'U'},
        {"sslmode", required_argument, NULL, O_SSL},
        {"query", required_argument, NULL, 'q'},
        {"expect", required_argument, NULL, 'e'},
        {"timeout", required_argument, NULL, 't'},
        {"primary", no_argument, NULL, O_PRIMARY},
        {"standby", no_argument, NULL, O_STANDBY},
        {"min-replicas", required_argument, NULL, O_MINREP},
        {"max-lag-bytes", required_argument, NULL, O_LAGB},
        {"max-lag-seconds", required_argument, NULL, O_LAGS},
        {"subscription", required_argument, NULL, O_SUB},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char *const sslmodes[] = { "disable", "allow", "prefer",
        "require", "verify-ca", "verify-full", NULL };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":p:d:U:q:e:t:h", longopts, NULL))
           != -1) {
        switch (c) {
        case 'p': o->port = check_port("--port", optarg); break;
        case 'd': o->dbname = optarg; break;
        case 'U': o->user = optarg; break;
        case O_SSL: {
            bool ok = false;
            for (int i = 0; sslmodes[i]; i++)
                ok = ok || strcmp(sslmodes[i], optarg) == 0;
            if (!ok)
                report_usage(prog, "--sslmode: \"%s\" is not one of disable, "
                             "allow, prefer, require, verify-ca, verify-full",
                             optarg);
            o->sslmode = optarg;
            break;
        }
        case 'q':
            if (optarg[0] == '\0')
                report_usage(prog, "--query: empty query");
            o->query = optarg;
            break;
        case 'e': o->expect = optarg; break;
        case 't':
            if ((o->timeout_ms = parse_seconds_ms(optarg)) < 0)
                report_usage(prog, "--timeout: \"%s\" is not a number of "
                             "seconds", optarg);
            break;
        case O_PRIMARY: o->primary = true; break;
        case O_STANDBY: o->standby = true; break;
        case O_MINREP:
        {
            double v = parse_num("--min-replicas", optarg, 0, 1000);
            if (v != floor(v))
                report_usage(prog, "--min-replicas: \"%s\" is not a whole "
                             "number", optarg);
            o->min_replicas = (int)v;
            break;
        }
        case O_LAGB:
            o->max_lag_bytes = parse_num("--max-lag-bytes", optarg, 0, 1e18);
            break;
        case O_LAGS:
            o->max_lag_s = parse_num("--max-lag-seconds", optarg, 0, 1e9);
            break;
        case O_SUB:
            if (o->nsubs == PG_MAX_SUBS)
                report_usage(prog, "--subscription: more than %d",
                             PG_MAX_SUBS);
            if (optarg[0] == '\0')
                report_usage(prog, "--subscription: empty name");
            o->subs[o->nsubs++] = optarg;
            break;
        case 'h': usage(stdout); exit(0);
        case ':':
            report_usage(prog, "option '%s' needs an argument",
                         argv[optind - 1]);
        default:
            report_usage(prog, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (o->primary && o->standby)
        report_usage(prog, "--primary and --standby exclude each other");
    if (o->min_replicas >= 0 && !o->primary)
        report_usage(prog, "--min-replicas needs --primary");
    if ((!isnan(o->max_lag_bytes) || !isnan(o->max_lag_s)) && !o->primary &&
        !o->standby)
        report_usage(prog, "--max-lag-bytes/--max-lag-seconds need "
                     "--primary or --standby");
    if (o->query == NULL)
        o->query = "SELECT 1";
}

static int
cmp_host(const void *a, const void *b)
{
    const struct pg_host *x = a, *y = b;
    return strcmp(x->arg, y->arg);
}

int
main(int argc, char **argv)
{
    struct opts o = { .timeout_ms = PG_DEFAULT_TIMEOUT_MS,
                      .dbname = "postgres",
                      .min_replicas = -1, .max_lag_bytes = NAN,
                      .max_lag_s = NAN };
    parse_args(argc, argv, &o);
    int n = argc - optind;
    if (n <= 0)
        report_usage(prog, "no host given");
    if (n > PG_MAX_HOSTS)
        report_usage(prog, "more than %d hosts", PG_MAX_HOSTS);
    struct pg_host *hosts = calloc((size_t)n, sizeof(*hosts));
    if (hosts == NULL) {
        fputs("out of memory\n", stderr);
        abort();
    }
    for (int i = 0; i < n; i++)
        parse_host(argv[optind + i], &hosts[i]);

    run_all(hosts, n, &o);

    qsort(hosts, (size_t)n, sizeof(*hosts), cmp_host);
    struct report r;
    report_init(&r);
    for (int i = 0; i < n; i++) {
        struct pg_host *h = &hosts[i];
        char pre[128] = "";
        if (h->t_conn_us >= 0)
            snprintf(pre, sizeof(pre), "connect %.1f ms%s",
                     (double)h->t_conn_us / 1000,
                     h->t_query_us >= 0 ? ", " : "");
        if (h->t_query_us >= 0) {
            size_t l = strlen(pre);
            snprintf(pre + l, sizeof(pre) - l, "query %.1f ms",
                     (double)h->t_query_us / 1000);
        }
        report_item(&r, h->arg, h->st, "%s%s%s", pre,
                    pre[0] && h->detail[0] ? "; " : "", h->detail);
        char lab[300];
        if (h->t_conn_us >= 0) {
            snprintf(lab, sizeof(lab), "%s_connect", h->arg);
            report_perf(&r, lab, (double)h->t_conn_us / 1000, "ms", NAN,
                        NAN, 0, NAN);
        }
        if (h->t_query_us >= 0) {
            snprintf(lab, sizeof(lab), "%s_query", h->arg);
            report_perf(&r, lab, (double)h->t_query_us / 1000, "ms", NAN,
                        NAN, 0, NAN);
        }
        if (h->replicas >= 0) {
            snprintf(lab, sizeof(lab), "%s_replicas", h->arg);
            report_perf(&r, lab, h->replicas, NULL, NAN,
                        o.min_replicas >= 0 ? o.min_replicas : NAN, 0, NAN);
        }
        if (!isnan(h->lag_bytes)) {
            snprintf(lab, sizeof(lab), "%s_lag", h->arg);
            report_perf(&r, lab, h->lag_bytes, "B", o.max_lag_bytes, NAN, 0,
                        NAN);
        }
        if (!isnan(h->lag_s)) {
            snprintf(lab, sizeof(lab), "%s_lag_seconds", h->arg);
            report_perf(&r, lab, h->lag_s, "s", o.max_lag_s, NAN, 0, NAN);
        }
    }
    int rc = report_finish(&r, stdout);
    report_fini(&r);
    free(hosts);
    return rc;
}
