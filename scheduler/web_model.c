/*
 * web_model.c — the pieces of web.h every renderer shares: the string
 * builder and its escapers, the state word, the snapshot order, and the
 * uptime arithmetic on mon's downtime log.  Pure.
 */
#include "web.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define WEB_BUF_MIN 256

void
web_buf_init(struct web_buf *b)
{
    b->cap = WEB_BUF_MIN;
    b->p = xmalloc(b->cap);
    b->p[0] = '\0';
    b->n = 0;
}

static void
web_buf_reserve(struct web_buf *b, size_t more)
{
    if (b->n + more + 1 > b->cap) {
        size_t cap = b->cap;
        while (b->n + more + 1 > cap)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
}

void
web_buf_putn(struct web_buf *b, const char *s, size_t n)
{
    web_buf_reserve(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void
web_buf_puts(struct web_buf *b, const char *s)
{
    web_buf_putn(b, s, strlen(s));
}

void
web_buf_printf(struct web_buf *b, const char *fmt, ...)
{
    va_list ap;
    int len;

    /* Most pieces are short: format straight into the spare room and
     * only format twice when it did not fit. */
    web_buf_reserve(b, 128);
    va_start(ap, fmt);
    len = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    if (len <= 0) {
        b->p[b->n] = '\0';
        return;
    }
    if ((size_t)len >= b->cap - b->n) {
        web_buf_reserve(b, (size_t)len);
        va_start(ap, fmt);
        vsnprintf(b->p + b->n, (size_t)len + 1, fmt, ap);
        va_end(ap);
    }
    b->n += (size_t)len;
}

/* Copy s, replacing each byte in specials by its entry in reps; runs of
 * plain bytes are copied at once. */
static void
put_escaped(struct web_buf *b, const char *s, const char *specials,
            const char *const *reps)
{
    while (s != NULL && *s != '\0') {
        size_t run = strcspn(s, specials);
        if (run > 0) {
            web_buf_putn(b, s, run);
            s += run;
        }
        if (*s != '\0') {
            web_buf_puts(b, reps[strchr(specials, *s) - specials]);
            s++;
        }
    }
}

void
web_buf_html(struct web_buf *b, const char *s)
{
    static const char *const reps[] = {
        "&amp;", "&lt;", "&gt;", "&quot;", "&#39;",
    };

    put_escaped(b, s, "&<>\"'", reps);
}

void
web_buf_label(struct web_buf *b, const char *s)
{
    static const char *const reps[] = { "\\\\", "\\\"", "\\n" };

    put_escaped(b, s, "\\\"\n", reps);
}

void
web_buf_urlseg(struct web_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; s != NULL && *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~') {
            web_buf_putn(b, s, 1);
        } else {
            char e[3] = { '%', hex[c >> 4], hex[c & 15] };
            web_buf_putn(b, e, 3);
        }
    }
}

char *
web_buf_take(struct web_buf *b)
{
    char *p = b->p;

    b->p = NULL;
    b->n = b->cap = 0;
    return p;
}

/* ---- state ---- */

const char *
web_state_word(enum web_state s)
{
    switch (s) {
    case WEB_STATE_FAILING: return "failing";
    case WEB_STATE_ACKED: return "acknowledged";
    case WEB_STATE_UNTESTED: return "untested";
    case WEB_STATE_DISABLED: return "disabled";
    case WEB_STATE_OK: return "ok";
    }
    return "unknown";
}

enum web_state
web_state_of(const struct svc_state *st, bool watch_disabled)
{
    if (st->disabled || watch_disabled)
        return WEB_STATE_DISABLED;
    if (st->opstatus == OPSTATUS_UNTESTED)
        return WEB_STATE_UNTESTED;
    if (!opstatus_is_up(st->opstatus))
        return st->acked ? WEB_STATE_ACKED : WEB_STATE_FAILING;
    return WEB_STATE_OK;
}

static int
svc_cmp(const void *a, const void *b)
{
    const struct web_svc *x = a, *y = b;
    int c;

    if (x->state != y->state)
        return x->state < y->state ? -1 : 1;
    c = strcmp(x->group, y->group);
    return c != 0 ? c : strcmp(x->service, y->service);
}

void
web_snapshot_sort(struct web_snapshot *snap)
{
    if (snap->n > 1)
        qsort(snap->svcs, snap->n, sizeof snap->svcs[0], svc_cmp);
}

/* ---- history ---- */

/* The n-th blank-separated word of line (0-based) equals w. */
static bool
word_is(const char *line, int n, const char *w)
{
    const char *p = line;
    size_t wl = strlen(w);

    for (int i = 0; i < n; i++) {
        while (*p != '\0' && *p != ' ')
            p++;
        while (*p == ' ')
            p++;
    }
    return strncmp(p, w, wl) == 0 && (p[wl] == ' ' || p[wl] == '\0');
}

bool
web_history_is_for(const char *line, const char *group, const char *service)
{
    return line != NULL && word_is(line, 1, group) &&
           word_is(line, 2, service);
}

/* ---- downtime log and uptime ---- */

static bool
parse_i64(const char *s, size_t len, int64_t *out)
{
    char buf[32];
    char *end;
    long long v;

    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

size_t
web_dtlog_parse(const char *text, size_t len, const char *group,
                const char *service, struct web_downtime **out, size_t *cap)
{
    const char *p = text, *end = text + len;
    size_t added = 0;

    *out = NULL;
    *cap = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl != NULL ? nl : end;
        const char *w[6];
        size_t wl[6];
        int nw = 0;
        const char *q = p;

        while (nw < 6 && q < le) {
            while (q < le && (*q == ' ' || *q == '\t'))
                q++;
            if (q >= le)
                break;
            w[nw] = q;
            while (q < le && *q != ' ' && *q != '\t')
                q++;
            wl[nw] = (size_t)(q - w[nw]);
            nw++;
        }
        if (nw == 6 && w[0][0] != '#' &&
            wl[1] == strlen(group) && memcmp(w[1], group, wl[1]) == 0 &&
            wl[2] == strlen(service) && memcmp(w[2], service, wl[2]) == 0) {
            int64_t noticed, first;
            if (parse_i64(w[0], wl[0], &noticed) &&
                parse_i64(w[3], wl[3], &first) && first <= noticed) {
                xgrow((void **)out, cap, added + 1, sizeof **out);
                (*out)[added].start_s = first;
                (*out)[added].end_s = noticed;
                added++;
            }
        }
        p = nl != NULL ? nl + 1 : end;
    }
    return added;
}

static int
dt_cmp(const void *a, const void *b)
{
    const struct web_downtime *x = a, *y = b;

    return x->start_s < y->start_s ? -1 : x->start_s > y->start_s;
}

double
web_uptime(const struct web_downtime *d, size_t n, int64_t now_s,
           int64_t window_s)
{
    struct web_downtime *s;
    int64_t from = now_s - window_s, down = 0, cur_start = 0, cur_end = 0;
    bool open = false;

    if (window_s <= 0)
        return 1.0;
    s = xcalloc(n > 0 ? n : 1, sizeof *s);
    for (size_t i = 0; i < n; i++) {
        /* clip to the window */
        s[i].start_s = d[i].start_s < from ? from : d[i].start_s;
        s[i].end_s = d[i].end_s > now_s ? now_s : d[i].end_s;
    }
    qsort(s, n, sizeof *s, dt_cmp);
    for (size_t i = 0; i < n; i++) {
        if (s[i].end_s <= s[i].start_s)
            continue;
        if (open && s[i].start_s <= cur_end) {
            if (s[i].end_s > cur_end)
                cur_end = s[i].end_s;
            continue;
        }
        if (open)
            down += cur_end - cur_start;
        cur_start = s[i].start_s;
        cur_end = s[i].end_s;
        open = true;
    }
    if (open)
        down += cur_end - cur_start;
    free(s);
    return 1.0 - (double)down / (double)window_s;
}
