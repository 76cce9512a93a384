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

/* s as a JSON string (null for NULL): UTF-8 kept, invalid bytes as
 * U+FFFD, quote, backslash and control bytes escaped.  Hand-written
 * because the status of 10,000 services through jansson's objects took
 * ten times as long (bench/http.sh). */
static void
put_jstr(struct web_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    if (s == NULL) {
        web_buf_puts(b, "null");
        return;
    }
    web_buf_putn(b, "\"", 1);
    while (*p != '\0') {
        const unsigned char *run = p;
        while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        if (p > run)
            web_buf_putn(b, (const char *)run, (size_t)(p - run));
        if (*p == '\0')
            break;
        if (*p == '"' || *p == '\\') {
            char e[2] = { '\\', (char)*p };
            web_buf_putn(b, e, 2);
            p++;
        } else if (*p < 0x20) {
            if (*p == '\n')
                web_buf_puts(b, "\\n");
            else if (*p == '\t')
                web_buf_puts(b, "\\t");
            else if (*p == '\r')
                web_buf_puts(b, "\\r");
            else
                web_buf_printf(b, "\\u%04x", *p);
            p++;
        } else {
            size_t n = utf8_seq(p);
            if (n == 0) {
                web_buf_puts(b, "\\ufffd");
                p++;
            } else {
                web_buf_putn(b, (const char *)p, n);
                p += n;
            }
        }
    }
    web_buf_putn(b, "\"", 1);
}

static void
put_key(struct web_buf *b, const char *key, bool first)
{
    web_buf_printf(b, first ? "\"%s\":" : ",\"%s\":", key);
}

static void
put_kstr(struct web_buf *b, const char *key, const char *v)
{
    put_key(b, key, false);
    put_jstr(b, v);
}

static void
put_ktime(struct web_buf *b, const char *key, int64_t ms)
{
    if (ms > 0)
        web_buf_printf(b, ",\"%s\":%lld", key, (long long)ms);
    else
        web_buf_printf(b, ",\"%s\":null", key);
}

static void
put_kbool(struct web_buf *b, const char *key, bool v)
{
    web_buf_printf(b, ",\"%s\":%s", key, v ? "true" : "false");
}

/* The members every listing of a service carries, without braces. */
static void
put_brief(struct web_buf *b, const struct web_svc *s)
{
    const struct svc_state *st = s->st;

    put_key(b, "group", true);
    put_jstr(b, s->group);
    put_kstr(b, "service", s->service);
    put_kstr(b, "state", web_state_word(s->state));
    put_kstr(b, "opstatus", opstatus_name(st->opstatus));
    put_ktime(b, "since", s->since_wall_ms);
    put_kstr(b, "summary", st->last_summary);
    put_ktime(b, "last_check", st->last_check_wall_ms);
    put_ktime(b, "next_check", s->next_check_wall_ms);
    put_kbool(b, "running", s->running);
    web_buf_printf(b, ",\"last_retval\":%d", st->last_retval);
    put_kbool(b, "acked", st->acked);
    put_kstr(b, "ack_comment", st->acked ? st->ack_comment : NULL);
    put_kbool(b, "disabled", s->state == WEB_STATE_DISABLED);
    put_kstr(b, "description", s->description);
    put_ktime(b, "first_failure", st->first_failure_wall_ms);
    web_buf_printf(b, ",\"failures\":%llu",
                   (unsigned long long)st->failure_count);
}

static json_t *
svc_recent(const struct web_svc *s)
{
    json_t *a = json_array();

    if (s->hist == NULL)
        return a;
    for (size_t i = 0; i < s->hist->n; i++) {
        struct web_check c = web_hist_check(s->hist, i);
        json_t *o = json_object();
        json_object_set_new(o, "time", json_integer(c.wall_ms));
        json_object_set_new(o, "ok", json_boolean(c.ok));
        json_object_set_new(o, "exit", json_integer(c.exit_status));
        json_object_set_new(o, "duration_ms", json_integer(c.duration_ms));
        json_object_set_new(o, "response_ms", jnum(c.resp_ms));
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
    struct web_buf b;
    size_t cnt[WEB_STATE_OK + 1] = { 0 };

    for (size_t i = 0; i < snap->n; i++)
        cnt[snap->svcs[i].state]++;
    web_buf_init(&b);
    web_buf_puts(&b, "{\"version\":");
    put_jstr(&b, snap->version);
    web_buf_printf(&b, ",\"now\":%lld,\"counts\":{",
                   (long long)snap->now_wall_ms);
    for (int k = 0; k <= WEB_STATE_OK; k++)
        web_buf_printf(&b, "%s\"%s\":%zu", k > 0 ? "," : "",
                       web_state_word((enum web_state)k), cnt[k]);
    web_buf_puts(&b, "},\"services\":[");
    for (size_t i = 0; i < snap->n; i++) {
        web_buf_puts(&b, i > 0 ? ",{" : "{");
        put_brief(&b, &snap->svcs[i]);
        web_buf_puts(&b, "}");
    }
    web_buf_puts(&b, "]}");
    return web_buf_take(&b);
}

char *
web_json_service(const struct web_svc *s, int64_t now_wall_ms,
                 const struct web_uptimes *u, const char *const *history,
                 size_t nhistory)
{
    json_t *root = json_object(), *hosts = json_array(), *up, *hist;
    const struct svc_state *st = s->st;
    struct web_buf b;
    char *extra;

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
    extra = dump(root);
    web_buf_init(&b);
    web_buf_puts(&b, "{");
    put_brief(&b, s);
    web_buf_puts(&b, ",");
    web_buf_puts(&b, extra + 1);        /* its members and closing brace */
    free(extra);
    return web_buf_take(&b);
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
    json_t *root = json_object(), *hist = json_array(), *spool;
    struct web_buf b;
    char *head;
    bool first = true;

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
    head = dump(root);
    web_buf_init(&b);
    web_buf_putn(&b, head, strlen(head) - 1);   /* without its '}' */
    free(head);
    web_buf_puts(&b, ",\"failing\":[");
    for (size_t i = 0; i < snap->n; i++) {
        if (snap->svcs[i].state != WEB_STATE_FAILING &&
            snap->svcs[i].state != WEB_STATE_ACKED)
            continue;
        web_buf_puts(&b, first ? "{" : ",{");
        put_brief(&b, &snap->svcs[i]);
        web_buf_puts(&b, "}");
        first = false;
    }
    web_buf_puts(&b, "]}");
    return web_buf_take(&b);
}

char *
web_json_error(int status, const char *msg)
{
    json_t *root = json_object();

    json_object_set_new(root, "error", jstr(msg));
    json_object_set_new(root, "status", json_integer(status));
    return dump(root);
}
