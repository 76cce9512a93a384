/*
 * srv_http.c — libmicrohttpd in mond's loop: routing, access control,
 * request bounds, and the snapshot of the service table each request
 * renders (web_json.c, web_metrics.c, web_page.c).
 *
 * MHD runs in its "external epoll" mode (MHD_USE_EPOLL, no internal
 * thread): its epoll fd sits in mond's epoll set, readiness calls
 * MHD_run(), and a loop timer follows MHD_get_timeout() for idle
 * connection timeouts and pending work.  Every handler answers at once
 * from memory (the downtime log, read for one service's uptime, is a
 * bounded local read), so a request never delays a check by more than
 * its own rendering time; bench/http.sh measures that.
 *
 * The listening socket is made here, not by MHD, so a bind failure names
 * the address and the reason; mond then runs on without its page.
 */
#include "srv_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alertq.h"
#include "auth.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "perfdata.h"
#include "spawner.h"
#include "svctab.h"
#include "web.h"
#include "xalloc.h"

#define DAY_S 86400

/* The big documents (page, status, metrics, alerts) are rendered at most
 * once per SRV_HTTP_CACHE_MS and the same MHD response (reference
 * counted by MHD) is queued to every client meanwhile: however hard the
 * page is hammered, rendering costs the loop one pass per endpoint per
 * period.  Actions and reloads drop the cache, so a client sees its own
 * change at once. */
enum cache_slot {
    CACHE_INDEX = 0,
    CACHE_STATUS,
    CACHE_METRICS,
    CACHE_ALERTS,
    CACHE_NSLOTS,
};

struct cached {
    struct MHD_Response *resp;  /* our reference; NULL = none */
    int64_t made_ns;
};

/* Checking a password runs crypt(3) (milliseconds for sha512-crypt,
 * more for yescrypt), in the loop.  So credentials that passed are
 * remembered for a while (exact user and password, in memory only), and
 * after a refused one the next check waits AUTH_FAIL_GAP_MS: a client
 * guessing passwords or replaying good ones cannot keep the loop busy. */
#define AUTH_CACHE_N 8
#define AUTH_CACHE_MS (5 * 60 * 1000)
#define AUTH_FAIL_GAP_MS 250

struct auth_ok {
    char *user, *pass;          /* owned; NULL = free slot */
    int64_t until_ns;
};

struct srv_http {
    struct loop *lp;
    struct svctab *tab;
    struct spawner *sp;
    struct alertq *aq;
    struct MHD_Daemon *d;
    struct loop_io io;
    struct loop_timer timer;
    struct web_hist *hist;
    int64_t start_wall_ms;
    bool reload_ok;
    int64_t reload_wall_ms;
    uint64_t reloads_failed;
    char *where;                /* "127.0.0.1:2584" for log lines */
    bool userfile_warned;       /* logged once until it reads again */
    struct cached cache[CACHE_NSLOTS];
    uint64_t requests;
    int64_t busy_ns;            /* time spent in MHD_run() */
    struct auth_ok auth_cache[AUTH_CACHE_N];
    int64_t auth_fail_ns;       /* last refused check */
};

/* Per request: the body so far, bounded. */
struct req {
    struct web_buf body;
    bool too_big;
};

struct reply {
    int status;
    const char *ctype;
    char *body;                 /* malloc'd */
    bool www_auth;              /* add WWW-Authenticate: Basic */
    const char *allow;          /* Allow header for 405 */
    struct MHD_Response *shared;    /* a cached response to queue */
    int cache_slot;             /* keep the response in this slot; -1 */
};

static const char CT_JSON[] = "application/json; charset=utf-8";
static const char CT_HTML[] = "text/html; charset=utf-8";
static const char CT_TEXT[] = "text/plain; charset=utf-8";
static const char CT_PROM[] = "text/plain; version=0.0.4; charset=utf-8";

/* ---- snapshot ---- */

struct snap {
    struct web_snapshot s;
    const char **history;
};

static void
snap_build(struct srv_http *h, struct snap *sn)
{
    struct svctab *tab = h->tab;
    size_t n = svctab_count(tab);
    int64_t now_ns = loop_now_ns(h->lp);
    struct web_snapshot *s = &sn->s;

    memset(sn, 0, sizeof *sn);
    s->now_wall_ms = loop_now_wall_ms(h->lp);
    s->version = MOND_VERSION;
    s->svcs = xcalloc(n > 0 ? n : 1, sizeof *s->svcs);
    for (size_t i = 0; i < n; i++) {
        const struct service *svc = svctab_service_at(tab, i);
        const struct svc_state *st = svctab_state_at(tab, i);
        struct web_svc *w = &s->svcs[s->n++];
        int64_t due = svctab_next_due_ns(tab, i);
        w->group = svc->watch->name;
        w->service = svc->name;
        w->description = svc->description;
        if (svc->watch->group != NULL) {
            w->hosts = svc->watch->group->hosts;
            w->nhosts = svc->watch->group->nhosts;
        }
        w->st = st;
        w->state = web_state_of(st, svctab_watch_is_disabled(tab, w->group));
        if ((w->state == WEB_STATE_FAILING || w->state == WEB_STATE_ACKED) &&
            st->first_failure_wall_ms > 0)
            w->since_wall_ms = st->first_failure_wall_ms;
        else
            w->since_wall_ms = svctab_state_since_wall_ms(tab, i);
        w->running = svctab_is_running(tab, i);
        w->next_check_wall_ms = due > 0 ? s->now_wall_ms +
                                (due - now_ns) / 1000000 : 0;
        w->interval_ms = svc->interval_ms;
        w->hist = web_hist_find(h->hist, w->group, w->service);
    }
    s->nhistory = svctab_history_count(tab);
    sn->history = xcalloc(s->nhistory > 0 ? s->nhistory : 1,
                          sizeof *sn->history);
    for (size_t i = 0; i < s->nhistory; i++)
        sn->history[i] = svctab_history_at(tab, i);
    s->history = sn->history;
    s->health.children_running = spawner_running(h->sp);
    s->health.children_queued = spawner_queued(h->sp);
    s->health.spawn_holds = spawner_holds(h->sp);
    s->health.spool_depth = h->aq != NULL ? (long)alertq_pending(h->aq) : -1;
    s->health.reload_ok = h->reload_ok;
    s->health.reload_wall_ms = h->reload_wall_ms;
    s->health.reloads_failed = h->reloads_failed;
    s->health.start_wall_ms = h->start_wall_ms;
    s->health.hist = h->hist;
    s->health.http_requests = h->requests;
    s->health.http_busy_ns = h->busy_ns;
}

static void
snap_fini(struct snap *sn)
{
    free(sn->s.svcs);
    free(sn->history);
}

/* ---- uptime ---- */

/* Read at most SRV_HTTP_DTLOG_MAX bytes from the end of path. */
static char *
read_tail(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    size_t want, got = 0;
    char *buf;

    *len = 0;
    if (fd < 0)
        return NULL;
    if (fstat(fd, &sb) < 0) {
        close(fd);
        return NULL;
    }
    want = (size_t)sb.st_size;
    if (want > SRV_HTTP_DTLOG_MAX) {
        if (lseek(fd, sb.st_size - SRV_HTTP_DTLOG_MAX, SEEK_SET) < 0) {
            close(fd);
            return NULL;
        }
        want = SRV_HTTP_DTLOG_MAX;
    }
    buf = xmalloc(want + 1);
    while (got < want) {
        ssize_t r = read(fd, buf + got, want - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    *len = got;
    return buf;
}

static void
uptimes_of(const struct config *cfg, const struct web_svc *w, int64_t now_ms,
           struct web_uptimes *u)
{
    char *path, *text;
    size_t len, n, cap;
    struct web_downtime *d = NULL;
    int64_t now_s = now_ms / 1000;

    u->day = u->week = u->month = -1;
    if (!cfg->g.dtlogging)
        return;
    path = cfg->g.dtlogfile == NULL || cfg->g.dtlogfile[0] != '/'
           ? xasprintf("%s/%s", cfg->g.logdir != NULL ? cfg->g.logdir : ".",
                       cfg->g.dtlogfile != NULL ? cfg->g.dtlogfile
                                                : "downtime.log")
           : xstrdup(cfg->g.dtlogfile);
    text = read_tail(path, &len);
    free(path);
    n = web_dtlog_parse(text != NULL ? text : "", len, w->group, w->service,
                        &d, &cap);
    free(text);
    /* The failure going on now is not in the log yet. */
    if ((w->state == WEB_STATE_FAILING || w->state == WEB_STATE_ACKED) &&
        w->st->first_failure_wall_ms > 0) {
        xgrow((void **)&d, &cap, n + 1, sizeof *d);
        d[n].start_s = w->st->first_failure_wall_ms / 1000;
        d[n].end_s = now_s;
        n++;
    }
    u->day = web_uptime(d, n, now_s, DAY_S);
    u->week = web_uptime(d, n, now_s, 7 * DAY_S);
    u->month = web_uptime(d, n, now_s, 30 * DAY_S);
    free(d);
}

/* This service's alert history lines (borrowed from the snapshot). */
static const char **
svc_history(const struct web_snapshot *s, const struct web_svc *w, size_t *n)
{
    const char **out = xcalloc(s->nhistory > 0 ? s->nhistory : 1,
                               sizeof *out);

    *n = 0;
    for (size_t i = 0; i < s->nhistory; i++)
        if (web_history_is_for(s->history[i], w->group, w->service))
            out[(*n)++] = s->history[i];
    return out;
}

/* ---- replies ---- */

static void
reply_set(struct reply *r, int status, const char *ctype, char *body)
{
    free(r->body);
    r->status = status;
    r->ctype = ctype;
    r->body = body;
}

static void
reply_error(struct reply *r, int status, const char *msg)
{
    reply_set(r, status, CT_JSON, web_json_error(status, msg));
}

static void
cache_drop(struct srv_http *h)
{
    for (size_t i = 0; i < CACHE_NSLOTS; i++) {
        if (h->cache[i].resp != NULL)
            MHD_destroy_response(h->cache[i].resp);
        h->cache[i].resp = NULL;
    }
}

static enum MHD_Result
send_reply(struct srv_http *h, struct MHD_Connection *c, struct reply *r)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    size_t len = r->body != NULL ? strlen(r->body) : 0;

    if (r->shared != NULL)
        return MHD_queue_response(c, (unsigned)r->status, r->shared);

    resp = MHD_create_response_from_buffer(len, r->body != NULL ? r->body : "",
                                           r->body != NULL
                                           ? MHD_RESPMEM_MUST_FREE
                                           : MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        free(r->body);
        r->body = NULL;
        return MHD_NO;
    }
    r->body = NULL;             /* MHD owns it now */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'self'; frame-ancestors 'none'; "
                            "form-action 'self'");
    if (r->allow != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    if (r->www_auth)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Basic realm=\"mond\", charset=\"UTF-8\"");
    ret = MHD_queue_response(c, (unsigned)r->status, resp);
    if (r->cache_slot >= 0 && r->status == 200) {
        struct cached *k = &h->cache[r->cache_slot];
        if (k->resp != NULL)
            MHD_destroy_response(k->resp);
        k->resp = resp;         /* keep our reference */
        k->made_ns = loop_now_ns(h->lp);
    } else {
        MHD_destroy_response(resp);
    }
    return ret;
}

/* ---- access ---- */

static bool client_is_loopback(struct MHD_Connection *c);

/* May this client read without logging in?  http_read_access: "any",
 * "login" (nobody), else "loopback" (the default). */
static bool
read_allowed(const struct srv_http *h, struct MHD_Connection *c)
{
    const struct config *cfg = svctab_config(h->tab);
    const char *a = cfg != NULL ? cfg->g.http_read_access : NULL;

    if (a != NULL && strcmp(a, "any") == 0)
        return true;
    if (a != NULL && strcmp(a, "login") == 0)
        return false;
    return client_is_loopback(c);
}

static bool
client_is_loopback(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

    if (sa == NULL)
        return false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) &&
               in6->sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

static void
client_ip(struct MHD_Connection *c, char *buf, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

    snprintf(buf, n, "?");
    if (sa == NULL)
        return;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf,
                  (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                  buf, (socklen_t)n);
}

static void
auth_slot_clear(struct auth_ok *a)
{
    if (a->pass != NULL)
        explicit_bzero(a->pass, strlen(a->pass));
    free(a->user);
    free(a->pass);
    a->user = a->pass = NULL;
}

static void
auth_cache_clear(struct srv_http *h)
{
    for (size_t i = 0; i < AUTH_CACHE_N; i++)
        auth_slot_clear(&h->auth_cache[i]);
}

/* Constant time for equal lengths: no timing hint about the password. */
static bool
same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = 0;

    if (la != lb)
        return false;
    for (size_t i = 0; i < la; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static bool
auth_cached(struct srv_http *h, const char *user, const char *pass,
            int64_t now_ns)
{
    for (size_t i = 0; i < AUTH_CACHE_N; i++) {
        struct auth_ok *a = &h->auth_cache[i];
        if (a->user == NULL)
            continue;
        if (a->until_ns <= now_ns) {
            auth_slot_clear(a);
            continue;
        }
        if (strcmp(a->user, user) == 0 && same_secret(a->pass, pass))
            return true;
    }
    return false;
}

static void
auth_remember(struct srv_http *h, const char *user, const char *pass,
              int64_t now_ns)
{
    struct auth_ok *slot = &h->auth_cache[0];

    for (size_t i = 0; i < AUTH_CACHE_N; i++) {
        struct auth_ok *a = &h->auth_cache[i];
        if (a->user == NULL) {
            slot = a;
            break;
        }
        if (a->until_ns < slot->until_ns)
            slot = a;           /* the oldest goes */
    }
    auth_slot_clear(slot);
    slot->user = xstrdup(user);
    slot->pass = xstrdup(pass);
    slot->until_ns = now_ns + (int64_t)AUTH_CACHE_MS * 1000000;
}

/* HTTP Basic against the userfile.  Returns 1 accepted (*user set,
 * caller frees), 0 no or bad credentials, -1 userfile unreadable, -2 a
 * check was refused less than AUTH_FAIL_GAP_MS ago (try again later). */
static int
basic_auth(struct srv_http *h, struct MHD_Connection *c, char **user)
{
    const struct config *cfg = svctab_config(h->tab);
    int64_t now_ns = loop_now_ns(h->lp);
    char *pass = NULL;
    char *u = MHD_basic_auth_get_username_password(c, &pass);
    int ok;

    *user = NULL;
    if (u == NULL || pass == NULL) {
        if (u != NULL)
            MHD_free(u);
        if (pass != NULL)
            MHD_free(pass);
        return 0;
    }
    if (auth_cached(h, u, pass, now_ns)) {
        ok = 1;
    } else if (h->auth_fail_ns != 0 &&
               now_ns - h->auth_fail_ns < (int64_t)AUTH_FAIL_GAP_MS * 1000000) {
        ok = -2;
    } else {
        ok = cfg->g.userfile != NULL
             ? auth_userfile_check(cfg->g.userfile, u, pass) : -1;
        if (ok == 1)
            auth_remember(h, u, pass, now_ns);
        else if (ok == 0)
            h->auth_fail_ns = now_ns;
    }
    /* A client can trigger this at will: say it once, not per request. */
    if (ok < 0 && !h->userfile_warned)
        log_warn("http: userfile %s, actions refused", cfg->g.userfile != NULL
                 ? cfg->g.userfile : "(none)");
    h->userfile_warned = ok < 0;
    if (ok == 1)
        *user = xstrdup(u);
    MHD_free(u);
    explicit_bzero(pass, strlen(pass));
    MHD_free(pass);
    return ok;
}

/* CSRF: a custom header (forms cannot send it, cross-origin scripts
 * only after a preflight we never answer), and no foreign Origin. */
static const char *
csrf_refusal(struct MHD_Connection *c)
{
    const char *xrw = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                  "X-Requested-With");
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     "Origin");
    const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   "Host");
    const char *site = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   "Sec-Fetch-Site");

    if (xrw == NULL || xrw[0] == '\0')
        return "missing header X-Requested-With (CSRF protection)";
    if (site != NULL && strcmp(site, "cross-site") == 0)
        return "cross-site request refused (CSRF protection)";
    if (origin != NULL && strcmp(origin, "null") != 0) {
        const char *p = strstr(origin, "://");
        if (host == NULL || p == NULL || strcmp(p + 3, host) != 0)
            return "Origin does not match Host (CSRF protection)";
    }
    return NULL;
}

/* ---- routes ---- */

/* Split "G/S[/A]" (already percent-decoded by MHD) in place. */
static size_t
split_path(char *p, char **seg, size_t max)
{
    size_t n = 0;

    while (n < max) {
        char *slash = strchr(p, '/');
        seg[n++] = p;
        if (slash == NULL)
            return n;
        *slash = '\0';
        p = slash + 1;
    }
    return n + 1;               /* too many */
}

static const struct web_svc *
snap_find(const struct web_snapshot *s, const char *g, const char *svc)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->svcs[i].group, g) == 0 &&
            strcmp(s->svcs[i].service, svc) == 0)
            return &s->svcs[i];
    return NULL;
}

static void
route_service(struct srv_http *h, const char *g, const char *svc, bool html,
              struct reply *r)
{
    struct snap sn;
    const struct web_svc *w;
    struct web_uptimes u;
    const char **hist;
    size_t nh;

    snap_build(h, &sn);
    w = snap_find(&sn.s, g, svc);
    if (w == NULL) {
        char *m = xasprintf("no service %s/%s", g, svc);
        if (html)
            reply_set(r, 404, CT_TEXT, xasprintf("%s\n", m));
        else
            reply_error(r, 404, m);
        free(m);
        snap_fini(&sn);
        return;
    }
    uptimes_of(svctab_config(h->tab), w, sn.s.now_wall_ms, &u);
    hist = svc_history(&sn.s, w, &nh);
    if (html)
        reply_set(r, 200, CT_HTML,
                  web_page_service(w, sn.s.now_wall_ms, &u, hist, nh));
    else
        reply_set(r, 200, CT_JSON,
                  web_json_service(w, sn.s.now_wall_ms, &u, hist, nh));
    free(hist);
    snap_fini(&sn);
}

static void
route_get(struct srv_http *h, char *url, struct reply *r)
{
    struct snap sn;
    char *seg[4];
    int slot = strcmp(url, "/") == 0 ? CACHE_INDEX
               : strcmp(url, "/api/v1/status") == 0 ? CACHE_STATUS
               : strcmp(url, "/metrics") == 0 ? CACHE_METRICS
               : strcmp(url, "/api/v1/alerts") == 0 ? CACHE_ALERTS : -1;

    if (slot >= 0) {
        const struct cached *k = &h->cache[slot];
        if (k->resp != NULL && loop_now_ns(h->lp) - k->made_ns <
            (int64_t)SRV_HTTP_CACHE_MS * 1000000) {
            r->status = 200;
            r->shared = k->resp;
            return;
        }
        r->cache_slot = slot;
        snap_build(h, &sn);
        if (strcmp(url, "/metrics") == 0) {
            reply_set(r, 200, CT_PROM, web_metrics(&sn.s));
        } else if (strcmp(url, "/api/v1/alerts") == 0) {
            reply_set(r, 200, CT_JSON, web_json_alerts(&sn.s));
        } else {
            web_snapshot_sort(&sn.s);
            if (url[1] == '\0')
                reply_set(r, 200, CT_HTML, web_page_index(&sn.s));
            else
                reply_set(r, 200, CT_JSON, web_json_status(&sn.s));
        }
        snap_fini(&sn);
        return;
    }
    if (strcmp(url, "/static/mond.css") == 0) {
        reply_set(r, 200, "text/css; charset=utf-8", xstrdup(web_page_css()));
        return;
    }
    if (strcmp(url, "/static/mond.js") == 0) {
        reply_set(r, 200, "text/javascript; charset=utf-8",
                  xstrdup(web_page_js()));
        return;
    }
    if (strncmp(url, "/service/", 9) == 0 &&
        split_path(url + 9, seg, 2) == 2 && seg[0][0] != '\0' &&
        seg[1][0] != '\0') {
        route_service(h, seg[0], seg[1], true, r);
        return;
    }
    if (strncmp(url, "/api/v1/services/", 17) == 0) {
        size_t n = split_path(url + 17, seg, 3);
        if (n == 2 && seg[0][0] != '\0' && seg[1][0] != '\0') {
            route_service(h, seg[0], seg[1], false, r);
            return;
        }
        if (n == 3) {
            reply_error(r, 405, "actions need POST");
            r->allow = "POST";
            return;
        }
    }
    if (strncmp(url, "/api/", 5) == 0)
        reply_error(r, 404, "no such API endpoint");
    else
        reply_set(r, 404, CT_TEXT, xstrdup("not found\n"));
}

/* The comment of an action body: {} / {"comment": "..."} / empty. */
static int
body_comment(const struct req *q, char **comment, const char **err)
{
    json_t *root, *cm;
    json_error_t je;

    *comment = NULL;
    if (q->body.n == 0)
        return 0;
    root = json_loadb(q->body.p, q->body.n, 0, &je);
    if (root == NULL || !json_is_object(root)) {
        json_decref(root);
        *err = "body must be a JSON object, e.g. {\"comment\": \"...\"}";
        return -1;
    }
    cm = json_object_get(root, "comment");
    if (cm != NULL && !json_is_null(cm)) {
        if (!json_is_string(cm)) {
            json_decref(root);
            *err = "\"comment\" must be a string";
            return -1;
        }
        *comment = xstrdup(json_string_value(cm));
    }
    json_decref(root);
    return 0;
}

static void
route_post(struct srv_http *h, struct MHD_Connection *c, char *url,
           const struct req *q, struct reply *r)
{
    char *seg[4], *user = NULL, *comment = NULL, ip[INET6_ADDRSTRLEN];
    const char *why, *act, *err = NULL;
    const struct config *cfg = svctab_config(h->tab);
    struct auth *a;
    struct diag_list dl;
    long idx;
    int ok;
    bool may;
    const char *xrw;

    if (strncmp(url, "/api/v1/services/", 17) != 0 ||
        split_path(url + 17, seg, 3) != 3) {
        if (strncmp(url, "/api/", 5) == 0)
            reply_error(r, 404, "no such API endpoint");
        else {
            reply_error(r, 405, "only GET and HEAD here");
            r->allow = "GET, HEAD";
        }
        return;
    }
    act = seg[2];
    if (strcmp(act, "ack") != 0 && strcmp(act, "disable") != 0 &&
        strcmp(act, "enable") != 0 && strcmp(act, "test") != 0) {
        reply_error(r, 404, "no such action (ack, disable, enable, test)");
        return;
    }
    if ((why = csrf_refusal(c)) != NULL) {
        reply_error(r, 403, why);
        return;
    }
    if (q->too_big) {
        reply_error(r, 413, "request body too large");
        return;
    }
    xrw = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Requested-With");
    ok = basic_auth(h, c, &user);
    if (ok == -2) {
        reply_error(r, 429, "a password was refused a moment ago: "
                    "try again in a second");
        return;
    }
    if (ok < 0) {
        reply_error(r, 403, "actions are off: the userfile cannot be read");
        return;
    }
    if (ok == 0) {
        reply_error(r, 401, "authentication required (HTTP Basic, "
                    "a user of the userfile)");
        /* The page asks for credentials itself; a browser prompt on top
         * of its fetch() would only confuse. */
        r->www_auth = xrw == NULL || strcmp(xrw, "mond") != 0;
        return;
    }
    diag_list_init(&dl);
    a = cfg->g.authfile != NULL && access(cfg->g.authfile, R_OK) == 0
        ? auth_load(cfg->g.authfile, &dl) : auth_default();
    diag_list_fini(&dl);
    may = a != NULL && auth_may(a, user, act);
    auth_free(a);
    if (!may) {
        char *m = xasprintf("user %s may not %s (auth.cf)", user, act);
        reply_error(r, 403, m);
        free(m);
        free(user);
        return;
    }
    if (body_comment(q, &comment, &err) < 0) {
        reply_error(r, 400, err);
        free(user);
        return;
    }
    idx = svctab_find(h->tab, seg[0], seg[1]);
    if (idx < 0) {
        char *m = xasprintf("no service %s/%s", seg[0], seg[1]);
        reply_error(r, 404, m);
        free(m);
        goto out;
    }
    client_ip(c, ip, sizeof ip);
    if (strcmp(act, "ack") == 0) {
        char *text = comment != NULL && comment[0] != '\0'
                     ? xstrdup(comment)
                     : xasprintf("acknowledged by %s", user);
        if (svctab_ack(h->tab, (size_t)idx, text) < 0) {
            reply_error(r, 409, "the service is not failing");
            free(text);
            goto out;
        }
        free(text);
    } else if (strcmp(act, "test") == 0) {
        if (svctab_run_now(h->tab, (size_t)idx) < 0) {
            reply_error(r, 409, "its monitor is running already");
            goto out;
        }
    } else if (svctab_set_service_disabled(h->tab, seg[0], seg[1],
                                           strcmp(act, "disable") == 0) < 0) {
        reply_error(r, 404, "no such service");
        goto out;
    }
    log_info("http: %s from %s: %s %s/%s%s%s", user, ip, act, seg[0], seg[1],
             comment != NULL ? ": " : "", comment != NULL ? comment : "");
    cache_drop(h);
    {
        json_t *o = json_object();
        char *s;
        json_object_set_new(o, "result", json_string(
            strcmp(act, "ack") == 0 ? "acknowledged"
            : strcmp(act, "test") == 0 ? "test started"
            : strcmp(act, "disable") == 0 ? "disabled" : "enabled"));
        json_object_set_new(o, "group", json_string(seg[0]));
        json_object_set_new(o, "service", json_string(seg[1]));
        s = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        reply_set(r, 200, CT_JSON, xstrdup(s != NULL ? s : "{}"));
        free(s);
    }
out:
    free(comment);
    free(user);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
           const char *method, const char *version, const char *upload,
           size_t *upload_size, void **con_cls)
{
    struct srv_http *h = cls;
    struct req *q = *con_cls;
    struct reply r;
    char *path;
    enum MHD_Result ret;
    bool is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool is_post = strcmp(method, "POST") == 0;

    (void)version;
    if (q == NULL) {
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                     "Content-Length");
        q = xcalloc(1, sizeof *q);
        web_buf_init(&q->body);
        *con_cls = q;
        /* Refuse a declared oversized body before it is sent. */
        if (cl != NULL && strtoull(cl, NULL, 10) > SRV_HTTP_BODY_MAX) {
            memset(&r, 0, sizeof r);
            r.cache_slot = -1;
            reply_error(&r, 413, "request body too large");
            return send_reply(h, c, &r);
        }
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (q->body.n + *upload_size > SRV_HTTP_BODY_MAX)
            q->too_big = true;
        else
            web_buf_putn(&q->body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }

    memset(&r, 0, sizeof r);
    r.cache_slot = -1;
    path = xstrdup(url);
    if (!is_get && !is_post) {
        reply_error(&r, 405, "method not allowed");
        r.allow = "GET, HEAD, POST";
    } else if (is_get && !read_allowed(h, c)) {
        char *user = NULL;
        int ok = basic_auth(h, c, &user);
        free(user);
        if (ok == 1) {
            route_get(h, path, &r);
        } else {
            reply_error(&r, 401, "authentication required to read "
                        "(http_read_access)");
            r.www_auth = true;
        }
    } else if (is_get) {
        route_get(h, path, &r);
    } else {
        route_post(h, c, path, q, &r);
    }
    free(path);
    ret = send_reply(h, c, &r);
    h->requests++;
    return ret;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct req *q = *con_cls;

    (void)cls;
    (void)c;
    (void)toe;
    if (q == NULL)
        return;
    free(q->body.p);
    free(q);
    *con_cls = NULL;
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[256];

    (void)cls;
    vsnprintf(buf, sizeof buf, fmt, ap);
    buf[strcspn(buf, "\n")] = '\0';
    log_debug("http: %s", buf);
}

/* ---- the loop ---- */

static void
rearm(struct srv_http *h)
{
    MHD_UNSIGNED_LONG_LONG ms;

    if (MHD_get_timeout(h->d, &ms) == MHD_YES)
        loop_timer_arm(h->lp, &h->timer, loop_now_ns(h->lp) +
                       (int64_t)(ms > 3600000 ? 3600000 : ms) * 1000000);
    else if (h->timer.armed)
        loop_timer_cancel(h->lp, &h->timer);
}

/* One MHD_run(), timed: the loop time HTTP takes from checks is a
 * metric (mond_http_busy_seconds_total). */
static void
run_mhd(struct srv_http *h)
{
    int64_t t0 = loop_clock_mono_ns();

    MHD_run(h->d);
    rearm(h);
    h->busy_ns += loop_clock_mono_ns() - t0;
}

static void
on_io(struct loop *lp, void *arg, uint32_t events, int64_t now_ns)
{
    (void)lp;
    (void)events;
    (void)now_ns;
    run_mhd(arg);
}

static void
on_timer(struct loop *lp, void *arg, int64_t now_ns)
{
    (void)lp;
    (void)now_ns;
    run_mhd(arg);
}

static void
on_check(void *arg, const struct svctab_check *ck)
{
    struct srv_http *h = arg;
    const struct service *svc = svctab_service_at(h->tab, ck->index);
    const struct hostgroup *hg = svc->watch->group;

    web_hist_record(h->hist, svc->watch->name, svc->name,
                    hg != NULL ? hg->hosts : NULL, hg != NULL ? hg->nhosts : 0,
                    ck->wall_ms, ck->duration_ms, ck->exit_status, ck->ok,
                    ck->lateness_ns, ck->perf);
}

static int
listen_on(const char *bind_addr, int port, int *family)
{
    struct addrinfo hints, *res = NULL;
    char portstr[16];
    int fd, one = 1, rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(portstr, sizeof portstr, "%d", port);
    rc = getaddrinfo(bind_addr, portstr, &hints, &res);
    if (rc != 0) {
        log_warnx("http: httpbind %s: %s", bind_addr, gai_strerror(rc));
        return -1;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 128) < 0) {
        log_warn("http: cannot listen on %s:%d, no status page", bind_addr,
                 port);
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    *family = res->ai_family;
    freeaddrinfo(res);
    return fd;
}

struct srv_http *
srv_http_new(struct loop *lp, struct svctab *tab, struct spawner *sp,
             struct alertq *aq)
{
    const struct config *cfg = svctab_config(tab);
    const union MHD_DaemonInfo *di;
    struct srv_http *h;
    const char *bind_addr;
    int fd, family = AF_INET;
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

    if (cfg == NULL || cfg->g.httpport <= 0)
        return NULL;
    bind_addr = cfg->g.httpbind != NULL ? cfg->g.httpbind : "127.0.0.1";
    fd = listen_on(bind_addr, cfg->g.httpport, &family);
    if (fd < 0)
        return NULL;
    if (family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h = xcalloc(1, sizeof *h);
    h->lp = lp;
    h->tab = tab;
    h->sp = sp;
    h->aq = aq;
    h->reload_ok = true;
    h->start_wall_ms = loop_clock_wall_ms();
    h->hist = web_hist_new();
    h->where = xasprintf("%s:%d", bind_addr, cfg->g.httpport);
    h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
                            MHD_OPTION_LISTEN_SOCKET, fd,
                            MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)SRV_HTTP_CONN_MAX,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                            (unsigned)SRV_HTTP_CONN_PER_IP,
                            MHD_OPTION_CONNECTION_TIMEOUT,
                            (unsigned)SRV_HTTP_IDLE_S,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                            (size_t)SRV_HTTP_CONN_MEM,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                            MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
                            MHD_OPTION_END);
    if (h->d == NULL) {
        log_warnx("http: libmicrohttpd did not start on %s, no status page",
                  h->where);
        close(fd);
        goto fail;
    }
    di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
    if (di == NULL || loop_io_add(lp, &h->io, di->epoll_fd, EPOLLIN, on_io,
                                  h) < 0) {
        log_warn("http: cannot watch libmicrohttpd's epoll fd");
        MHD_stop_daemon(h->d);
        goto fail;
    }
    loop_timer_init(&h->timer, on_timer, h);
    svctab_set_check_hook(tab, on_check, h);
    log_info("http: status page on http://%s/", h->where);
    return h;

fail:
    web_hist_free(h->hist);
    free(h->where);
    free(h);
    return NULL;
}

void
srv_http_free(struct srv_http *h)
{
    if (h == NULL)
        return;
    svctab_set_check_hook(h->tab, NULL, NULL);
    loop_io_del(h->lp, &h->io);
    if (h->timer.armed)
        loop_timer_cancel(h->lp, &h->timer);
    cache_drop(h);
    auth_cache_clear(h);
    MHD_stop_daemon(h->d);
    web_hist_free(h->hist);
    free(h->where);
    free(h);
}

void
srv_http_reloaded(struct srv_http *h, bool ok)
{
    if (h == NULL)
        return;
    h->reload_ok = ok;
    h->reload_wall_ms = loop_clock_wall_ms();
    cache_drop(h);
    auth_cache_clear(h);        /* the userfile may have changed */
    if (!ok)
        h->reloads_failed++;
}
