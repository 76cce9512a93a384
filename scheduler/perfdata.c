/*
 * perfdata.c — Nagios plugin performance data in monitor output.
 *
 * Each line of output is "text | perfdata"; a line splits at its first
 * "|" outside single quotes.  A quote opens only at the start of a word
 * and only if a closing quote follows on the line, so the apostrophe of
 * "can't connect | time=1s" is text, while 'a|b' (in the text or as a
 * perfdata label) hides its "|".  A quoted label may hold blanks, "|"
 * and "=" ('' stands for one quote).
 *
 * A mon monitor that is no Nagios plugin may print "|" for its own
 * reasons ("disks sda | sdb"), so the part after "|" is taken as perfdata
 * only if it is blank or at least one item in it parses; otherwise the
 * line is left as it was.  Items that do not parse are skipped.
 *
 * warn and crit hold Nagios ranges ("10", "10:", "~:10", "@10:20"); only
 * the plain-number form is stored (has_warn/has_crit), any other range is
 * kept out (has_* false) rather than half understood.
 */
#include "perfdata.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define PERFDATA_MAX_ITEMS 1024     /* per output; the rest are dropped */

void
perf_set_init(struct perf_set *ps)
{
    memset(ps, 0, sizeof(*ps));
}

void
perf_set_fini(struct perf_set *ps)
{
    for (size_t i = 0; i < ps->n; i++)
        free(ps->items[i].label);
    free(ps->items);
    memset(ps, 0, sizeof(*ps));
}

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
           c == '\f';
}

/* Parse a plain decimal number filling all of [s, e).  Nagios allows a
 * comma as decimal separator in some locales; "1,5" is taken as 1.5. */
static bool
parse_number(const char *s, const char *e, double *out)
{
    char buf[64];
    size_t n = (size_t)(e - s);

    if (n == 0 || n >= sizeof(buf))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == ',' || c == '-' ||
              c == '+' || c == 'e' || c == 'E'))
            return false;
        buf[i] = c == ',' ? '.' : c;
    }
    buf[n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + n || errno != 0 || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* One ";"-separated field [s, e): empty -> not present; plain number ->
 * present; anything else (a range) -> not present. */
static void
parse_threshold(const char *s, const char *e, bool *has, double *v)
{
    *has = parse_number(s, e, v);
}

/* Parse the value part "value[UOM];warn;crit;min;max" of [s, e). */
static bool
parse_value_part(const char *s, const char *e, struct perf_item *it)
{
    const char *semi = memchr(s, ';', (size_t)(e - s));
    const char *ve = semi ? semi : e;

    /* The number, then the unit: letters and "%". */
    const char *u = ve;
    while (u > s && ((u[-1] >= 'A' && u[-1] <= 'Z') ||
                     (u[-1] >= 'a' && u[-1] <= 'z') || u[-1] == '%'))
        u--;
    /* The walk stops at the last digit: "5ms" is 5 "ms", "1e3" is 1000. */
    if ((size_t)(ve - u) >= sizeof(it->unit))
        return false;
    if (!parse_number(s, u, &it->value))
        return false;
    memcpy(it->unit, u, (size_t)(ve - u));
    it->unit[ve - u] = '\0';

    bool *has[4] = { &it->has_warn, &it->has_crit, &it->has_min,
                     &it->has_max };
    double *val[4] = { &it->warn, &it->crit, &it->min, &it->max };
    const char *f = semi;
    for (int i = 0; i < 4 && f != NULL && f < e; i++) {
        f++;                                    /* past ';' */
        const char *fe = memchr(f, ';', (size_t)(e - f));
        if (fe == NULL)
            fe = e;
        parse_threshold(f, fe, has[i], val[i]);
        f = fe < e ? fe : NULL;
    }
    return true;
}

/* Scan one item starting at *pp (blanks already skipped) up to end.
 * Returns true with *it filled (label owned by it) when it parses;
 * always advances *pp past the item. */
static bool
scan_item(const char **pp, const char *end, struct perf_item *it)
{
    const char *p = *pp;
    char *label = NULL;

    memset(it, 0, sizeof(*it));
    if (*p == '\'') {
        /* Quoted label: '' is a quote; ends at a lone quote. */
        size_t cap = (size_t)(end - p) + 1, n = 0;
        label = xmalloc(cap);
        p++;
        for (;;) {
            if (p >= end) {                     /* unterminated */
                free(label);
                *pp = end;
                return false;
            }
            if (*p == '\'') {
                if (p + 1 < end && p[1] == '\'') {
                    label[n++] = '\'';
                    p += 2;
                    continue;
                }
                p++;
                break;
            }
            label[n++] = *p++;
        }
        label[n] = '\0';
    } else {
        const char *l0 = p;
        while (p < end && *p != '=' && !is_blank(*p))
            p++;
        label = xstrndup(l0, (size_t)(p - l0));
    }

    const char *v0 = p;
    while (p < end && !is_blank(*p))
        p++;
    *pp = p;
    if (label[0] == '\0' || v0 >= p || *v0 != '=' ||
        !parse_value_part(v0 + 1, p, it)) {
        free(label);
        return false;
    }
    it->label = label;
    return true;
}

/* Parse [s, end) into ps (if ps is not NULL); returns items that parsed. */
static size_t
parse_range(const char *s, const char *end, struct perf_set *ps)
{
    size_t added = 0;
    const char *p = s;

    for (;;) {
        while (p < end && is_blank(*p))
            p++;
        if (p >= end)
            break;
        struct perf_item it;
        if (!scan_item(&p, end, &it))
            continue;
        if (ps == NULL || ps->n >= PERFDATA_MAX_ITEMS) {
            free(it.label);
            added++;
            continue;
        }
        xgrow((void **)&ps->items, &ps->cap, ps->n + 1, sizeof(*ps->items));
        ps->items[ps->n++] = it;
        added++;
    }
    return added;
}

size_t
perfdata_parse(const char *s, struct perf_set *ps)
{
    return parse_range(s, s + strlen(s), ps);
}

/* Append line [s, e) to buf with its perfdata removed (and parsed into
 * ps).  Trailing blanks of a stripped line's text are trimmed. */
/* The first "|" of [s, e) outside a quoted word, or NULL. */
static const char *
find_bar(const char *s, const char *e)
{
    for (const char *p = s; p < e; p++) {
        if (*p == '|')
            return p;
        if (*p != '\'' || (p > s && !is_blank(p[-1])))
            continue;
        /* A quote at a word start: skip to its closing quote, if any. */
        const char *q = p + 1;
        while (q < e) {
            if (*q == '\'' && q + 1 < e && q[1] == '\'')
                q += 2;
            else if (*q == '\'')
                break;
            else
                q++;
        }
        if (q < e)
            p = q;
    }
    return NULL;
}

static void
strip_line(const char *s, const char *e, char *buf, size_t *n,
           struct perf_set *ps)
{
    const char *bar = find_bar(s, e);
    const char *te = e;

    if (bar != NULL) {
        const char *q = bar + 1;
        while (q < e && is_blank(*q))
            q++;
        if (q == e || parse_range(bar + 1, e, NULL) > 0) {
            parse_range(bar + 1, e, ps);
            te = bar;
            while (te > s && is_blank(te[-1]))
                te--;
        }
    }
    memcpy(buf + *n, s, (size_t)(te - s));
    *n += (size_t)(te - s);
}

void
perfdata_split_output(const char *out, size_t len, char **summary,
                      char **detail, struct perf_set *ps)
{
    if (out == NULL) {                  /* no output at all */
        out = "";
        len = 0;
    }
    const char *end = out + len;
    const char *nl = memchr(out, '\n', len);
    const char *l1 = nl ? nl : end;

    /* A NUL in the output ends it, as it would for a C string later. */
    const char *nul = memchr(out, '\0', len);
    if (nul != NULL) {
        end = nul;
        if (l1 > end)
            l1 = end;
        if (nl != NULL && nl > end)
            nl = NULL;
    }

    char *sum = xmalloc((size_t)(l1 - out) + 1);
    size_t n = 0;
    const char *se = l1;
    if (se > out && se[-1] == '\r')
        se--;
    strip_line(out, se, sum, &n, ps);
    while (n > 0 && is_blank(sum[n - 1]))
        n--;
    sum[n] = '\0';
    *summary = sum;

    const char *d = nl ? nl + 1 : end;
    char *det = xmalloc((size_t)(end - d) + 1);
    n = 0;
    while (d < end) {
        const char *le = memchr(d, '\n', (size_t)(end - d));
        const char *lend = le ? le : end;
        strip_line(d, lend, det, &n, ps);
        if (le != NULL)
            det[n++] = '\n';
        d = le ? le + 1 : end;
    }
    det[n] = '\0';
    *detail = det;
}
