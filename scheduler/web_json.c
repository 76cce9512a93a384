/*
 * web_json.c — the JSON API's documents (jansson), from a snapshot.
 * Pure.  Times are unix milliseconds (0 or null = never); strings are
 * UTF-8: bytes of a monitor's output that are not valid UTF-8 become
 * U+FFFD, since JSON cannot carry them.
 */
#include "web.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static size_t
utf8_seq(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (s[0] == 0xE0 && s[1] < 0xA0)
            return 0;
        if (s[0] == 0xED && s[1] >= 0xA0)
            return 0;       /* surrogates */
        return 3;
    }
    if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80)
            return 0;
        if ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

/* A JSON string for s (null for NULL), invalid UTF-8 replaced. */
static json_t *
jstr(const char *s)
{
    json_t *j;
    struct web_buf b;

    if (s == NULL)
        return json_null();
    j = json_string(s);
    if (j != NULL)
        return j;
    web_buf_init(&b);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0';) {
        size_t n = utf8_seq(p);
        if (n == 0) {
            web_buf_puts(&b, "\xEF\xBF\xBD");
            p++;
        } else {
            web_buf_putn(&b, (const char *)p, n);
            p += n;
        }
    }
    j = json_string(b.p);
    free(b.p);
    return j != NULL ? j : json_string("");
}

static json_t *
jtime(int64_t ms)
{
    return ms > 0 ? json_integer(ms) : json_null();
}

static json_t *
jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static char *
dump(json_t *root)
{
    char *s = json_dumps(root, JSON_COMPACT);
    char *out;

    json_decref(root);
    if (s == NULL)
        return xstrdup("{}");
    out = xstrdup(s);
    free(s);
    return out;
}

/* The fields every listing of a service carries. */
static json_t *
svc_brief(const struct web_svc *s)
{
    const struct svc_state *st = s->st;
    json_t *o = json_object();

    json_object_set_new(o, "group", jstr(s->group));
    json_object_set_new(o, "service", jstr(s->service));
    json_object_set_new(o, "state", json_string(web_state_word(s->state)));
    json_object_set_new(o, "opstatus", json_string(opstatus_name(st->opstatus)));
    json_object_set_new(o, "since", jtime(s->since_wall_ms));
    json_object_set_new(o, "summary", jstr(st->last_summary));
    json_object_set_new(o, "last_check", jtime(st->last_check_wall_ms));
    json_object_set_new(o, "next_check", jtime(s->next_check_wall_ms));
    json_object_set_new(o, "running", json_boolean(s->running));
    json_object_set_new(o, "last_retval", json_integer(st->last_retval));
    json_object_set_new(o, "acked", json_boolean(st->acked));
    json_object_set_new(o, "ack_comment", jstr(st->acked ? st->ack_comment
                                                          : NULL));
    json_object_set_new(o, "disabled", json_boolean(s->state ==
                                                    WEB_STATE_DISABLED));
    json_object_set_new(o, "description", jstr(s->description));
    json_object_set_new(o, "first_failure", jtime(st->first_failure_wall_ms));
    json_object_set_new(o, "failures", json_integer((json_int_t)
                                                    st->failure_count));
    return o;
}

static json_t *
svc_recent(const struct web_svc *s)
{
    json_t *a = json_array();

    if (s->hist == NULL)
        return a;
    for (size_t i = 0; i < s->hist->n; i++) {
        const struct web_check *c = web_hist_check(s->hist, i);
        json_t *o = json_object();
        json_object_set_new(o, "time", json_integer(c->wall_ms));
        json_object_set_new(o, "ok", json_boolean(c->ok));
        json_object_set_new(o, "exit", json_integer(c->exit_status));
        json_object_set_new(o, "duration_ms", json_integer(c->duration_ms));
        json_object_set_new(o, "response_ms", jnum(c->resp_ms));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *
svc_metrics(const struct web_svc *s)
{
    json_t *a = json_array();

    if (s->hist == NULL)
        return a;
    for (size_t i = 0; i < s->hist->nperf; i++) {
        const struct web_perf *p = &s->hist->perf[i];
        json_t *o = json_object();
        json_object_set_new(o, "label", jstr(p->label));
        json_object_set_new(o, "host", jstr(p->host));
        json_object_set_new(o, "value", jnum(p->value));
        json_object_set_new(o, "unit", jstr(p->unit));
        json_array_append_new(a, o);
    }
    return a;
}

char *
web_json_status(const struct web_snapshot *snap)
{
    json_t *root = json_object(), *svcs = json_array(), *counts;
    size_t cnt[WEB_STATE_OK + 1] = { 0 };

    for (size_t i = 0; i < snap->n; i++) {
        json_array_append_new(svcs, svc_brief(&snap->svcs[i]));
        cnt[snap->svcs[i].state]++;
    }
    counts = json_object();
    for (int k = 0; k <= WEB_STATE_OK; k++)
        json_object_set_new(counts, web_state_word((enum web_state)k),
                            json_integer((json_int_t)cnt[k]));
    json_object_set_new(root, "version", jstr(snap->version));
    json_object_set_new(root, "now", json_integer(snap->now_wall_ms));
    json_object_set_new(root, "counts", counts);
    json_object_set_new(root, "services", svcs);
    return dump(root);
}

char *
web_json_service(const struct web_svc *s, int64_t now_wall_ms,
                 const struct web_uptimes *u, const char *const *history,
                 size_t nhistory)
{
    json_t *root = svc_brief(s), *hosts = json_array(), *up, *hist;
    const struct svc_state *st = s->st;

    for (size_t i = 0; i < s->nhosts; i++)
        json_array_append_new(hosts, jstr(s->hosts[i]));
    json_object_set_new(root, "now", json_integer(now_wall_ms));
    json_object_set_new(root, "hosts", hosts);
    json_object_set_new(root, "interval_ms", json_integer(s->interval_ms));
    json_object_set_new(root, "detail", jstr(st->last_detail));
    json_object_set_new(root, "output", jstr(st->last_output));
    json_object_set_new(root, "last_success", jtime(st->last_success_wall_ms));
    json_object_set_new(root, "last_failure", jtime(st->last_failure_wall_ms));
    json_object_set_new(root, "successes", json_integer((json_int_t)
                                                        st->success_count));
    json_object_set_new(root, "alerts", json_integer((json_int_t)
                                                     st->alert_count));
    json_object_set_new(root, "last_duration_ms",
                        s->hist != NULL
                        ? json_integer(s->hist->last_duration_ms)
                        : json_null());
    up = json_object();
    json_object_set_new(up, "24h", u != NULL && u->day >= 0
                        ? json_real(u->day) : json_null());
    json_object_set_new(up, "7d", u != NULL && u->week >= 0
                        ? json_real(u->week) : json_null());
    json_object_set_new(up, "30d", u != NULL && u->month >= 0
                        ? json_real(u->month) : json_null());
    json_object_set_new(root, "uptime", up);
    json_object_set_new(root, "recent", svc_recent(s));
    json_object_set_new(root, "metrics", svc_metrics(s));
    hist = json_array();
    for (size_t i = 0; i < nhistory; i++)
        json_array_append_new(hist, jstr(history[i]));
    json_object_set_new(root, "history", hist);
    return dump(root);
}

/* "failure web http 1764000000 mail.alert (args) summary" -> fields. */
static json_t *
history_item(const char *line)
{
    json_t *o = json_object();
    const char *p = line;
    const char *keys[4] = { "type", "group", "service", "time" };

    for (int k = 0; k < 4; k++) {
        const char *w = p;
        while (*p != '\0' && *p != ' ')
            p++;
        if (k == 3) {
            char *end;
            long long t = strtoll(w, &end, 10);
            json_object_set_new(o, "time", end != w ? json_integer(t * 1000)
                                                    : json_null());
        } else {
            char *v = xstrndup(w, (size_t)(p - w));
            json_object_set_new(o, keys[k], jstr(v));
            free(v);
        }
        while (*p == ' ')
            p++;
    }
    json_object_set_new(o, "line", jstr(line));
    return o;
}

char *
web_json_alerts(const struct web_snapshot *snap)
{
    json_t *root = json_object(), *hist = json_array(), *spool, *failing;

    /* newest first: what a person wants to see */
    for (size_t i = snap->nhistory; i > 0; i--)
        json_array_append_new(hist, history_item(snap->history[i - 1]));
    json_object_set_new(root, "now", json_integer(snap->now_wall_ms));
    json_object_set_new(root, "history", hist);
    spool = json_object();
    json_object_set_new(spool, "depth", snap->health.spool_depth >= 0
                        ? json_integer(snap->health.spool_depth)
                        : json_null());
    json_object_set_new(root, "spool", spool);
    failing = json_array();
    for (size_t i = 0; i < snap->n; i++)
        if (snap->svcs[i].state == WEB_STATE_FAILING ||
            snap->svcs[i].state == WEB_STATE_ACKED)
            json_array_append_new(failing, svc_brief(&snap->svcs[i]));
    json_object_set_new(root, "failing", failing);
    return dump(root);
}

char *
web_json_error(int status, const char *msg)
{
    json_t *root = json_object();

    json_object_set_new(root, "error", jstr(msg));
    json_object_set_new(root, "status", json_integer(status));
    return dump(root);
}
