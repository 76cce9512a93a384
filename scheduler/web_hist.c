/*
 * web_hist.c — recent checks per service for the status page and
 * /metrics: a ring of the last WEB_HIST_RECENT results (the status bar
 * and the response-time chart), the perfdata of the last check (gauges),
 * and one histogram of how late checks started (scheduler health).
 *
 * Fed by srv_http.c from the service table's check hook; keyed by
 * (group, service) so it survives reloads that reorder the table.  An
 * open-addressing hash table (linear probing, FNV-1a) keeps lookups O(1)
 * for 10,000 services; entries of services removed by a reload stay
 * until mond restarts (bounded by the number of services ever defined).
 */
#include "web.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "perfdata.h"
#include "xalloc.h"

#define WEB_HIST_MIN_SLOTS 64
#define WEB_PERF_MAX 64             /* perfdata items kept per service */

const double web_late_bounds_s[WEB_LATE_BUCKETS - 1] = {
    0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5,
};

struct web_hist {
    struct web_svc_hist **slots;
    size_t nslots, used;
    uint64_t late[WEB_LATE_BUCKETS];    /* per bucket, not cumulative */
    double late_sum_s;
    uint64_t late_count;
};

static uint64_t
fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

struct web_hist *
web_hist_new(void)
{
    struct web_hist *h = xcalloc(1, sizeof *h);

    h->nslots = WEB_HIST_MIN_SLOTS;
    h->slots = xcalloc(h->nslots, sizeof *h->slots);
    return h;
}

static void
perf_clear(struct web_svc_hist *hs)
{
    for (size_t i = 0; i < hs->nperf; i++) {
        free(hs->perf[i].label);
        free(hs->perf[i].host);
    }
    free(hs->perf);
    hs->perf = NULL;
    hs->nperf = 0;
}

void
web_hist_free(struct web_hist *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->nslots; i++) {
        if (h->slots[i] == NULL)
            continue;
        perf_clear(h->slots[i]);
        free(h->slots[i]->key);
        free(h->slots[i]);
    }
    free(h->slots);
    free(h);
}

static size_t
slot_of(const struct web_hist *h, const char *key)
{
    size_t i = (size_t)(fnv1a(key) & (h->nslots - 1));

    while (h->slots[i] != NULL && strcmp(h->slots[i]->key, key) != 0)
        i = (i + 1) & (h->nslots - 1);
    return i;
}

static void
grow(struct web_hist *h)
{
    struct web_svc_hist **old = h->slots;
    size_t oldn = h->nslots;

    h->nslots *= 2;
    h->slots = xcalloc(h->nslots, sizeof *h->slots);
    for (size_t i = 0; i < oldn; i++)
        if (old[i] != NULL)
            h->slots[slot_of(h, old[i]->key)] = old[i];
    free(old);
}

static char *
make_key(const char *group, const char *service)
{
    return xasprintf("%s\n%s", group, service);
}

const struct web_svc_hist *
web_hist_find(const struct web_hist *h, const char *group, const char *service)
{
    char *key;
    const struct web_svc_hist *hs;

    if (h == NULL)
        return NULL;
    key = make_key(group, service);
    hs = h->slots[slot_of(h, key)];
    free(key);
    return hs;
}

const struct web_check *
web_hist_check(const struct web_svc_hist *hs, size_t i)
{
    return &hs->recent[(hs->start + i) % WEB_HIST_RECENT];
}

/* Milliseconds for a time-like unit, NAN for anything else. */
static double
to_ms(double v, const char *unit)
{
    if (strcmp(unit, "s") == 0)
        return v * 1000.0;
    if (strcmp(unit, "ms") == 0)
        return v;
    if (strcmp(unit, "us") == 0)
        return v / 1000.0;
    return NAN;
}

void
web_hist_record(struct web_hist *h, const char *group, const char *service,
                char *const *hosts, size_t nhosts, int64_t wall_ms,
                int64_t duration_ms, int exit_status, bool ok,
                int64_t lateness_ns, const struct perf_set *ps)
{
    char *key = make_key(group, service);
    size_t i = slot_of(h, key);
    struct web_svc_hist *hs = h->slots[i];
    struct web_check *c;
    double resp = NAN;

    if (hs == NULL) {
        hs = xcalloc(1, sizeof *hs);
        hs->key = key;
        key = NULL;
        h->slots[i] = hs;
        h->used++;
        if (h->used * 2 > h->nslots)
            grow(h);
    }
    free(key);

    perf_clear(hs);
    if (ps != NULL && ps->n > 0) {
        size_t n = ps->n < WEB_PERF_MAX ? ps->n : WEB_PERF_MAX;
        hs->perf = xcalloc(n, sizeof *hs->perf);
        for (size_t k = 0; k < n; k++) {
            const struct perf_item *it = &ps->items[k];
            struct web_perf *p = &hs->perf[hs->nperf++];
            const char *lab = it->label;
            p->host = xstrdup("");
            for (size_t j = 0; j < nhosts; j++) {
                size_t hl = strlen(hosts[j]);
                if (strncmp(lab, hosts[j], hl) == 0 &&
                    (lab[hl] == '_' || lab[hl] == ':') && lab[hl + 1] != '\0') {
                    free(p->host);
                    p->host = xstrdup(hosts[j]);
                    lab += hl + 1;
                    break;
                }
            }
            p->label = xstrdup(lab);
            p->value = it->value;
            memcpy(p->unit, it->unit, sizeof p->unit);
            p->unit[sizeof p->unit - 1] = '\0';
            /* The chart shows the first time-like item. */
            if (isnan(resp))
                resp = to_ms(it->value, p->unit);
        }
    }

    if (hs->n < WEB_HIST_RECENT) {
        c = &hs->recent[(hs->start + hs->n) % WEB_HIST_RECENT];
        hs->n++;
    } else {
        c = &hs->recent[hs->start];
        hs->start = (hs->start + 1) % WEB_HIST_RECENT;
    }
    c->wall_ms = wall_ms;
    c->duration_ms = duration_ms;
    c->exit_status = exit_status;
    c->ok = ok;
    c->resp_ms = resp;
    hs->last_duration_ms = duration_ms;

    if (lateness_ns >= 0) {
        double s = (double)lateness_ns / 1e9;
        size_t b = 0;
        while (b < WEB_LATE_BUCKETS - 1 && s > web_late_bounds_s[b])
            b++;
        h->late[b]++;
        h->late_sum_s += s;
        h->late_count++;
    }
}

void
web_hist_lateness(const struct web_hist *h, uint64_t cum[WEB_LATE_BUCKETS],
                  double *sum_s, uint64_t *count)
{
    uint64_t acc = 0;

    for (size_t b = 0; b < WEB_LATE_BUCKETS; b++) {
        acc += h != NULL ? h->late[b] : 0;
        cum[b] = acc;
    }
    *sum_s = h != NULL ? h->late_sum_s : 0;
    *count = h != NULL ? h->late_count : 0;
}
