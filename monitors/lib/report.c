/* report.c — summary/detail/perfdata output and exit code (see report.h). */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct report_item {
    char *name;
    enum mon_status st;
    char *detail;
};

static void *
must(void *p)
{
    if (p == NULL) {
        fputs("out of memory\n", stderr);
        abort();
    }
    return p;
}

const char *
mon_status_name(enum mon_status s)
{
    switch (s) {
    case MON_OK:   return "ok";
    case MON_WARN: return "WARNING";
    case MON_CRIT: return "CRITICAL";
    default:       return "UNKNOWN";
    }
}

void
report_init(struct report *r)
{
    memset(r, 0, sizeof(*r));
}

void
report_fini(struct report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].name);
        free(r->items[i].detail);
    }
    free(r->items);
    free(r->perf);
    memset(r, 0, sizeof(*r));
}

void
report_vitem(struct report *r, const char *name, enum mon_status st,
             const char *fmt, va_list ap)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->items = must(realloc(r->items, r->cap * sizeof(*r->items)));
    }
    struct report_item *it = &r->items[r->n++];
    it->name = must(strdup(name));
    it->st = st;
    if (vasprintf(&it->detail, fmt, ap) < 0)
        must(NULL);
    /* A detail is one line: newlines from remote peers become spaces. */
    for (char *p = it->detail; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

void
report_item(struct report *r, const char *name, enum mon_status st,
            const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_vitem(r, name, st, fmt, ap);
    va_end(ap);
}

static void
perf_append(struct report *r, const char *s)
{
    size_t n = strlen(s);
    if (r->perf_len + n + 1 > r->perf_cap) {
        r->perf_cap = (r->perf_len + n + 1) * 2;
        r->perf = must(realloc(r->perf, r->perf_cap));
    }
    memcpy(r->perf + r->perf_len, s, n + 1);
    r->perf_len += n;
}

static void
perf_num(char *buf, size_t n, double v)
{
    if (isnan(v))
        buf[0] = '\0';
    else
        snprintf(buf, n, "%.6g", v);
}

void
report_perf(struct report *r, const char *label, double value,
            const char *unit, double warn, double crit, double min, double max)
{
    char w[32], c[32], mi[32], ma[32], item[512];
    perf_num(w, sizeof(w), warn);
    perf_num(c, sizeof(c), crit);
    perf_num(mi, sizeof(mi), min);
    perf_num(ma, sizeof(ma), max);
    /* Quote labels with spaces or '=' as Nagios plugins do; a label never
     * holds a quote (replaced) so the output stays parseable. */
    char lab[256];
    size_t j = 0;
    for (const char *p = label; *p && j < sizeof(lab) - 1; p++)
        lab[j++] = (*p == '\'' || *p == '|') ? '_' : *p;
    lab[j] = '\0';
    int quote = strpbrk(lab, " =") != NULL;
    snprintf(item, sizeof(item), "%s%s%s%s=%.6g%s;%s;%s;%s;%s",
             r->perf_len ? " " : "", quote ? "'" : "", lab, quote ? "'" : "",
             value, unit ? unit : "", w, c, mi, ma);
    /* Trim trailing empty ";" fields. */
    size_t len = strlen(item);
    while (len > 0 && item[len - 1] == ';')
        item[--len] = '\0';
    perf_append(r, item);
}

enum mon_status
report_worst(const struct report *r)
{
    enum mon_status w = MON_OK;
    for (size_t i = 0; i < r->n; i++) {
        enum mon_status s = r->items[i].st;
        /* Severity order: ok < warning < unknown(could not check) < critical
         * for the exit code mon routes on, except that "could not check"
         * alone yields 3. */
        if (s == MON_CRIT || (s == MON_UNKNOWN && w != MON_CRIT) ||
            (s == MON_WARN && w == MON_OK))
            w = s;
    }
    return w;
}

static int
cmp_name(const void *a, const void *b)
{
    const struct report_item *x = a, *y = b;
    return strcmp(x->name, y->name);
}

int
report_finish(struct report *r, FILE *out)
{
    qsort(r->items, r->n, sizeof(*r->items), cmp_name);
    /* Summary: failing names, sorted, without duplicates. */
    const char *prev = NULL;
    int first = 1;
    for (size_t i = 0; i < r->n; i++) {
        if (r->items[i].st == MON_OK)
            continue;
        if (prev && strcmp(prev, r->items[i].name) == 0)
            continue;
        fprintf(out, "%s%s", first ? "" : " ", r->items[i].name);
        prev = r->items[i].name;
        first = 0;
    }
    if (r->perf_len)
        fprintf(out, "%s| %s", first ? "" : " ", r->perf);
    fputc('\n', out);
    for (size_t i = 0; i < r->n; i++)
        fprintf(out, "%s: %s %s\n", r->items[i].name,
                mon_status_name(r->items[i].st), r->items[i].detail);
    fflush(out);
    enum mon_status w = report_worst(r);
    /* Exit: critical wins; else could-not-check (3); else warning. */
    return (int)w;
}

void
report_usage(const char *prog, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", prog);
    exit(MON_UNKNOWN);
}

void
report_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
    exit(MON_UNKNOWN);
}

int64_t
mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
mono_ms(void)
{
    return mono_us() / 1000;
}

int64_t
parse_seconds_ms(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !(v > 0) || v > 86400.0 * 365)
        return -1;
    return (int64_t)(v * 1000.0 + 0.5);
}
