/*
 * web.h — the model behind mond's HTTP surface (srv_http.c): a snapshot
 * of the service table, and the pure renderers that turn it into JSON
 * (web_json.c), Prometheus text (web_metrics.c) and HTML (web_page.c),
 * plus the recent-check store (web_hist.c) and the uptime arithmetic on
 * mon's downtime log (web_model.c).
 *
 * Renderers take values and return new strings (caller frees): no clock,
 * no fds, no globals, so t/unit/test_web.c checks their shapes, escaping
 * and arithmetic directly.  srv_http.c builds a snapshot per request from
 * the live svctab; every pointer in a snapshot is borrowed from the
 * svctab, the config or the web_hist for the duration of one request.
 */
#ifndef MOND_WEB_H
#define MOND_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decide.h"

struct perf_set;

/* ---- a growing string (renderers' output) ---- */

struct web_buf {
    char *p;                    /* NUL-terminated; owned */
    size_t n, cap;
};

void web_buf_init(struct web_buf *b);
void web_buf_puts(struct web_buf *b, const char *s);
void web_buf_putn(struct web_buf *b, const char *s, size_t n);
void web_buf_printf(struct web_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* s escaped for HTML text and attribute values (& < > " '). */
void web_buf_html(struct web_buf *b, const char *s);
/* s escaped for a Prometheus label value (\\ \" \n). */
void web_buf_label(struct web_buf *b, const char *s);
/* s percent-encoded for a URL path segment. */
void web_buf_urlseg(struct web_buf *b, const char *s);
/* Hand the string over (caller frees); b is left empty. */
char *web_buf_take(struct web_buf *b);

/* ---- what a person reads: the state word ---- */

/* In the order the page lists them: failing first. */
enum web_state {
    WEB_STATE_FAILING = 0,
    WEB_STATE_ACKED,
    WEB_STATE_UNTESTED,
    WEB_STATE_DISABLED,
    WEB_STATE_OK,
};

/* "failing", "acknowledged", "untested", "disabled", "ok". */
const char *web_state_word(enum web_state s);
/* disabled (service or watch) wins; then untested; a status that does
 * not count as up is failing, or acknowledged when acked. */
enum web_state web_state_of(const struct svc_state *st, bool watch_disabled);

/* ---- recent checks (web_hist.c) ---- */

#define WEB_HIST_RECENT 60          /* checks kept per service */
#define WEB_LATE_BUCKETS 9          /* lateness histogram, +Inf last */

/* The largest values the store keeps as they are; what lies beyond is
 * saturated (see web_hist_record()). */
#define WEB_HIST_EXIT_MAX 255               /* exit status */
#define WEB_HIST_DUR_EXACT_MS 4194303LL     /* 2^22 - 1 ms, 69.9 min */
#define WEB_HIST_DUR_MAX_MS 4194303000LL    /* 2^22 - 1 s, 48.5 days */
#define WEB_HIST_SPAN_MS 4294967295LL       /* 2^32 - 1 ms, 49.7 days */

/* One recent check as readers see it: web_hist_check() decodes it from
 * the store's 12-byte record. */
struct web_check {
    int64_t wall_ms;            /* when it finished */
    int64_t duration_ms;
    int exit_status;
    bool ok;
    double resp_ms;             /* response time from perfdata, NAN if none */
};

struct web_perf {
    char *label;                /* without the host prefix */
    char *host;                 /* "" when not per host */
    double value;
    char unit[8];
};

struct web_hist_rec;            /* a packed check; web_hist.c only */

/* One service's recent results.  Owned by the web_hist; one allocation
 * with its key, plus the ring and the perf block when they exist. */
struct web_svc_hist {
    struct web_hist_rec *ring;  /* cap records, grown up to RECENT; owned */
    float *resp;                /* cap response times beside the ring, NULL
                                 * until a check has one; owned */
    struct web_perf *perf;      /* of the last check: one block with its
                                 * strings; owned */
    int64_t base_wall_ms;       /* record times are ms after this */
    int64_t last_duration_ms;   /* exact; -1 before the first check */
    uint8_t start, n, cap;      /* ring: oldest, used, allocated */
    uint8_t nperf;
    char key[];                 /* "group\nservice" */
};

struct web_hist;

struct web_hist *web_hist_new(void);
void web_hist_free(struct web_hist *h);

/* Record a finished check.  hosts (of the service's group) split
 * perfdata labels "HOST_rest" / "HOST:rest" into host and label.
 * lateness_ns is how late the check started against its due time (< 0
 * unknown: not counted in the histogram).
 *
 * What is kept of each check (8 bytes, 12 once the service has reported
 * a response time, so 10,000 services stay small):
 * wall_ms to the millisecond, the oldest checks being dropped while a
 * service's recent checks would span more than WEB_HIST_SPAN_MS (only
 * checks a day apart or a clock stepped by weeks get there);
 * duration_ms exact up to WEB_HIST_DUR_EXACT_MS, then in whole seconds
 * up to WEB_HIST_DUR_MAX_MS where it saturates (negative: 0); exit_status
 * outside 0..WEB_HIST_EXIT_MAX as WEB_HIST_EXIT_MAX; ok as given; the
 * response time as a float, read back as the shortest decimal giving
 * that float (7 significant digits at most; NAN stays NAN, beyond
 * FLT_MAX saturates).  last_duration_ms is kept exact. */
void web_hist_record(struct web_hist *h, const char *group,
                     const char *service, char *const *hosts, size_t nhosts,
                     int64_t wall_ms, int64_t duration_ms, int exit_status,
                     bool ok, int64_t lateness_ns, const struct perf_set *ps);
/* NULL when the service has no recorded check.  Borrowed. */
const struct web_svc_hist *web_hist_find(const struct web_hist *h,
                                         const char *group,
                                         const char *service);
/* The i-th recent check, oldest first (i < hs->n), decoded. */
struct web_check web_hist_check(const struct web_svc_hist *hs, size_t i);

/* Lateness histogram (seconds; cumulative counts as Prometheus wants). */
extern const double web_late_bounds_s[WEB_LATE_BUCKETS - 1];
void web_hist_lateness(const struct web_hist *h,
                       uint64_t cum[WEB_LATE_BUCKETS], double *sum_s,
                       uint64_t *count);

/* ---- the snapshot ---- */

struct web_svc {
    const char *group, *service, *description;   /* description may be NULL */
    char *const *hosts;
    size_t nhosts;
    const struct svc_state *st;
    enum web_state state;
    int64_t since_wall_ms;      /* in this state since; 0 = unknown */
    int64_t next_check_wall_ms; /* 0 = none (running or no monitor) */
    int64_t interval_ms;
    bool running;
    const struct web_svc_hist *hist;   /* may be NULL */
};

struct web_health {
    size_t children_running, children_queued;
    uint64_t spawn_holds;       /* overload guard holds so far */
    long spool_depth;           /* -1 = unknown */
    bool reload_ok;             /* the last reload (true if none yet) */
    int64_t reload_wall_ms;     /* the last reload attempt, 0 = none */
    uint64_t reloads_failed;
    int64_t start_wall_ms;
    const struct web_hist *hist;   /* lateness; may be NULL */
    uint64_t http_requests;     /* answered since start */
    int64_t http_busy_ns;       /* loop time spent in libmicrohttpd */
};

struct web_snapshot {
    int64_t now_wall_ms;
    const char *version;
    struct web_svc *svcs;
    size_t n;
    const char *const *history; /* alert history lines, oldest first */
    size_t nhistory;
    struct web_health health;
};

/* Stable order for a person: state (failing first), group, service. */
void web_snapshot_sort(struct web_snapshot *snap);

/* ---- uptime from mon's downtime log ---- */

struct web_downtime {
    int64_t start_s, end_s;     /* unix seconds, start <= end */
};

/* Every downtime of (group, service) in dtlog text (mon's format
 * "timenoticed group service firstfail downtime interval summary",
 * '#' lines are comments; malformed lines are skipped).  *out must be
 * NULL on entry; returns the number of items in *out (caller frees). */
size_t web_dtlog_parse(const char *text, size_t len, const char *group,
                       const char *service, struct web_downtime **out,
                       size_t *cap);

/* Fraction of [now_s - window_s, now_s] not covered by any downtime
 * (overlaps counted once), in [0, 1].  The time before the log is up. */
double web_uptime(const struct web_downtime *d, size_t n, int64_t now_s,
                  int64_t window_s);

/* ---- renderers (new strings; caller frees) ---- */

/* GET /api/v1/status */
char *web_json_status(const struct web_snapshot *snap);

/* Uptime fractions for 24 h, 7 d, 30 d (negative = unknown). */
struct web_uptimes {
    double day, week, month;
};

/* GET /api/v1/services/G/S: history holds this service's alert history
 * lines. */
char *web_json_service(const struct web_svc *s, int64_t now_wall_ms,
                       const struct web_uptimes *u,
                       const char *const *history, size_t nhistory);
/* GET /api/v1/alerts */
char *web_json_alerts(const struct web_snapshot *snap);
/* {"error": msg, "status": status} */
char *web_json_error(int status, const char *msg);

/* GET /metrics: Prometheus text exposition format 0.0.4. */
char *web_metrics(const struct web_snapshot *snap);

/* GET /: the status page; GET /service/G/S: one service. */
char *web_page_index(const struct web_snapshot *snap);
char *web_page_service(const struct web_svc *s, int64_t now_wall_ms,
                       const struct web_uptimes *u,
                       const char *const *history, size_t nhistory);
/* The page's script and style (served as /static/mond.js, mond.css). */
const char *web_page_js(void);
const char *web_page_css(void);

/* True when an alert history line ("type group service time ...")
 * belongs to (group, service). */
bool web_history_is_for(const char *line, const char *group,
                        const char *service);

#endif
