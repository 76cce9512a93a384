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
 *
 * Memory is what this store is about (issue 2: at most 2 KiB a service
 * for all of mond): a check is an 8-byte record (time as ms after a
 * per-service base; duration, exit and ok in one word), plus a float
 * response time in an array beside the ring that exists only once the
 * service has reported one; the ring is allocated on the first check and
 * grown in steps
 * (4, 16, WEB_HIST_RECENT) so a rarely run service holds little, the key
 * lives in the service's own allocation, and the last perfdata is one
 * block with its strings.  Steady state (60 checks): about 0.8 KiB of
 * heap a service without perfdata, against 2.0 KiB with the 32-byte
 * records and separate key before; 0.5 KiB without response times.
 */
#include "web.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "perfdata.h"
#include "xalloc.h"

#define WEB_HIST_MIN_SLOTS 64
#define WEB_PERF_MAX 64             /* perfdata items kept per service */
#define WEB_RING_FIRST 4            /* ring records on the first check */

/* Record word: bits 0-21 duration, bit 22 set when the duration is in
 * seconds (else ms), bit 23 ok, bits 24-31 exit status. */
#define REC_DUR_BITS 22
#define REC_DUR_MASK ((UINT32_C(1) << REC_DUR_BITS) - 1)
#define REC_DUR_SECS (UINT32_C(1) << 22)
#define REC_OK (UINT32_C(1) << 23)
#define REC_EXIT_SHIFT 24

struct web_hist_rec {
    uint32_t t_ms;              /* wall time - hs->base_wall_ms */
    uint32_t word;              /* duration, ok, exit (REC_*) */
};

_Static_assert(sizeof(struct web_hist_rec) == 8, "a check is 8 bytes");
_Static_assert(WEB_HIST_RECENT <= UINT8_MAX && WEB_PERF_MAX <= UINT8_MAX,
               "ring and perf counts are uint8_t");
_Static_assert(WEB_HIST_DUR_EXACT_MS == REC_DUR_MASK &&
               WEB_HIST_DUR_MAX_MS == REC_DUR_MASK * 1000LL &&
               WEB_HIST_SPAN_MS == UINT32_MAX, "limits in web.h");

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

#define FNV_BASIS 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

static uint64_t
fnv1a_step(uint64_t h, const char *s)
{
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= FNV_PRIME;
    }
    return h;
}

/* FNV-1a of the key "group\nservice" without building the string. */
static uint64_t
key_hash(const char *group, const char *service)
{
    uint64_t h = fnv1a_step(FNV_BASIS, group);

    h ^= (unsigned char)'\n';
    h *= FNV_PRIME;
    return fnv1a_step(h, service);
}

static bool
key_is(const char *key, const char *group, const char *service)
{
    size_t gl = strlen(group);

    return strncmp(key, group, gl) == 0 && key[gl] == '\n' &&
           strcmp(key + gl + 1, service) == 0;
}

struct web_hist *
web_hist_new(void)
{
    struct web_hist *h = xcalloc(1, sizeof *h);

    h->nslots = WEB_HIST_MIN_SLOTS;
    h->slots = xcalloc(h->nslots, sizeof *h->slots);
    return h;
}

void
web_hist_free(struct web_hist *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->nslots; i++) {
        if (h->slots[i] == NULL)
            continue;
        free(h->slots[i]->perf);
        free(h->slots[i]->ring);
        free(h->slots[i]->resp);
        free(h->slots[i]);
    }
    free(h->slots);
    free(h);
}

/* The slot holding (group, service), or the empty slot where it goes. */
static size_t
slot_of(const struct web_hist *h, const char *group, const char *service)
{
    size_t mask = h->nslots - 1;
    size_t i = (size_t)(key_hash(group, service) & mask);

    while (h->slots[i] != NULL && !key_is(h->slots[i]->key, group, service))
        i = (i + 1) & mask;
    return i;
}

static void
grow(struct web_hist *h)
{
    struct web_svc_hist **old = h->slots;
    size_t oldn = h->nslots, mask;

    h->nslots *= 2;
    mask = h->nslots - 1;
    h->slots = xcalloc(h->nslots, sizeof *h->slots);
    for (size_t i = 0; i < oldn; i++) {
        size_t j;

        if (old[i] == NULL)
            continue;
        /* The key's own hash is key_hash(group, service). */
        j = (size_t)(fnv1a_step(FNV_BASIS, old[i]->key) & mask);
        while (h->slots[j] != NULL)
            j = (j + 1) & mask;
        h->slots[j] = old[i];
    }
    free(old);
}

const struct web_svc_hist *
web_hist_find(const struct web_hist *h, const char *group, const char *service)
{
    if (h == NULL)
        return NULL;
    return h->slots[slot_of(h, group, service)];
}

static const struct web_hist_rec *
rec_at(const struct web_svc_hist *hs, size_t i)
{
    return &hs->ring[(hs->start + i) % hs->cap];
}

/* The shortest decimal (6 to 9 significant digits) that is f again as a
 * float, so "t=123.456ms" reads back as 123.456, not 123.45600128. */
static double
resp_decode(float f)
{
    static const double p10[] = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    };
    const int np = (int)(sizeof p10 / sizeof p10[0]);
    double v = (double)f;
    int e;

    if (!isfinite(v) || v == 0)
        return v;
    e = (int)floor(log10(fabs(v)));
    for (int digits = 6; digits <= 9; digits++) {
        int k = digits - 1 - e;     /* decimal places to keep */
        double r;
        if (k >= 0 && k < np)
            r = round(v * p10[k]) / p10[k];
        else if (k < 0 && -k < np)
            r = round(v / p10[-k]) * p10[-k];
        else
            break;
        if ((float)r == f)
            return r;
    }
    return v;
}

struct web_check
web_hist_check(const struct web_svc_hist *hs, size_t i)
{
    const struct web_hist_rec *r = rec_at(hs, i);
    struct web_check c;
    int64_t d = (int64_t)(r->word & REC_DUR_MASK);

    c.wall_ms = hs->base_wall_ms + (int64_t)r->t_ms;
    c.duration_ms = (r->word & REC_DUR_SECS) != 0 ? d * 1000 : d;
    c.exit_status = (int)(r->word >> REC_EXIT_SHIFT);
    c.ok = (r->word & REC_OK) != 0;
    if (hs->resp == NULL) {
        c.resp_ms = NAN;
    } else {
        float f = hs->resp[(hs->start + i) % hs->cap];

        c.resp_ms = isnan(f) ? NAN : resp_decode(f);
    }
    return c;
}

static uint32_t
pack_word(int64_t duration_ms, int exit_status, bool ok)
{
    uint32_t w;

    if (duration_ms < 0)
        duration_ms = 0;
    if (duration_ms <= WEB_HIST_DUR_EXACT_MS)
        w = (uint32_t)duration_ms;
    else if (duration_ms < WEB_HIST_DUR_MAX_MS)
        w = (uint32_t)(duration_ms / 1000) | REC_DUR_SECS;
    else
        w = REC_DUR_MASK | REC_DUR_SECS;
    if (exit_status < 0 || exit_status > WEB_HIST_EXIT_MAX)
        exit_status = WEB_HIST_EXIT_MAX;
    w |= (uint32_t)exit_status << REC_EXIT_SHIFT;
    if (ok)
        w |= REC_OK;
    return w;
}

static float
pack_resp(double resp_ms)
{
    if (isnan(resp_ms))
        return NAN;
    if (resp_ms > FLT_MAX)
        return FLT_MAX;
    if (resp_ms < -FLT_MAX)
        return -FLT_MAX;
    return (float)resp_ms;
}

/* Drop the oldest record (the ring is not empty). */
static void
ring_drop_oldest(struct web_svc_hist *hs)
{
    hs->start = (uint8_t)((hs->start + 1) % hs->cap);
    hs->n--;
}

/* Make wall_ms representable: while it and the kept records span more
 * than WEB_HIST_SPAN_MS drop the oldest, then move the base to the
 * earliest time left.  Rare: the clock stepped, or checks are a day
 * apart and the newest is 49.7 days after the base. */
static void
rebase(struct web_svc_hist *hs, int64_t wall_ms)
{
    int64_t lo, hi;

    for (;;) {
        lo = hi = wall_ms;
        for (size_t i = 0; i < hs->n; i++) {
            int64_t t = hs->base_wall_ms + (int64_t)rec_at(hs, i)->t_ms;
            if (t < lo)
                lo = t;
            if (t > hi)
                hi = t;
        }
        if (hi - lo <= WEB_HIST_SPAN_MS)
            break;
        ring_drop_oldest(hs);
    }
    for (size_t i = 0; i < hs->n; i++) {
        struct web_hist_rec *r = &hs->ring[(hs->start + i) % hs->cap];
        r->t_ms = (uint32_t)(hs->base_wall_ms + (int64_t)r->t_ms - lo);
    }
    hs->base_wall_ms = lo;
}

/* The record for a new check: appended while there is room (growing the
 * ring in steps), else the oldest is overwritten. */
static struct web_hist_rec *
ring_push(struct web_svc_hist *hs)
{
    struct web_hist_rec *r;

    if (hs->n == hs->cap && hs->cap < WEB_HIST_RECENT) {
        /* Copied oldest first: a rebase may have moved start. */
        size_t ncap = hs->cap == 0 ? WEB_RING_FIRST : (size_t)hs->cap * 4;
        struct web_hist_rec *nr;
        if (ncap > WEB_HIST_RECENT)
            ncap = WEB_HIST_RECENT;
        nr = xmalloc(ncap * sizeof *nr);
        for (size_t i = 0; i < hs->n; i++)
            nr[i] = *rec_at(hs, i);
        free(hs->ring);
        hs->ring = nr;
        if (hs->resp != NULL) {
            float *np = xmalloc(ncap * sizeof *np);

            for (size_t i = 0; i < hs->n; i++)
                np[i] = hs->resp[(hs->start + i) % hs->cap];
            free(hs->resp);
            hs->resp = np;
        }
        hs->cap = (uint8_t)ncap;
        hs->start = 0;
    }
    if (hs->n < hs->cap) {
        r = &hs->ring[(hs->start + hs->n) % hs->cap];
        hs->n++;
    } else {
        r = &hs->ring[hs->start];
        hs->start = (uint8_t)((hs->start + 1) % hs->cap);
    }
    return r;
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

/* The label of it without its host prefix (*host set, or NULL). */
static const char *
split_host(const char *lab, char *const *hosts, size_t nhosts,
           const char **host)
{
    *host = NULL;
    for (size_t j = 0; j < nhosts; j++) {
        size_t hl = strlen(hosts[j]);
        if (strncmp(lab, hosts[j], hl) == 0 &&
            (lab[hl] == '_' || lab[hl] == ':') && lab[hl + 1] != '\0') {
            *host = hosts[j];
            return lab + hl + 1;
        }
    }
    return lab;
}

/* Replace hs->perf with ps: one block, the web_perf array then its
 * strings (hosts without a prefix share one ""). Returns the response
 * time of the first time-like item, NAN if none. */
static double
perf_store(struct web_svc_hist *hs, char *const *hosts, size_t nhosts,
           const struct perf_set *ps)
{
    size_t n = 0, bytes, off;
    double resp = NAN;
    char *str;

    free(hs->perf);
    hs->perf = NULL;
    hs->nperf = 0;
    if (ps == NULL || ps->n == 0)
        return NAN;
    n = ps->n < WEB_PERF_MAX ? ps->n : WEB_PERF_MAX;
    bytes = n * sizeof *hs->perf + 1;
    for (size_t k = 0; k < n; k++) {
        const char *host;
        const char *lab = split_host(ps->items[k].label, hosts, nhosts, &host);
        bytes += strlen(lab) + 1 + (host != NULL ? strlen(host) + 1 : 0);
    }
    hs->perf = xmalloc(bytes);
    str = (char *)(hs->perf + n);
    str[0] = '\0';
    off = 1;
    for (size_t k = 0; k < n; k++) {
        const struct perf_item *it = &ps->items[k];
        struct web_perf *p = &hs->perf[k];
        const char *host;
        const char *lab = split_host(it->label, hosts, nhosts, &host);
        size_t l = strlen(lab) + 1;

        p->label = memcpy(str + off, lab, l);
        off += l;
        p->host = str;
        if (host != NULL) {
            l = strlen(host) + 1;
            p->host = memcpy(str + off, host, l);
            off += l;
        }
        p->value = it->value;
        memcpy(p->unit, it->unit, sizeof p->unit);
        p->unit[sizeof p->unit - 1] = '\0';
        /* The chart shows the first time-like item. */
        if (isnan(resp))
            resp = to_ms(it->value, p->unit);
    }
    hs->nperf = (uint8_t)n;
    return resp;
}

void
web_hist_record(struct web_hist *h, const char *group, const char *service,
                char *const *hosts, size_t nhosts, int64_t wall_ms,
                int64_t duration_ms, int exit_status, bool ok,
                int64_t lateness_ns, const struct perf_set *ps)
{
    size_t i = slot_of(h, group, service);
    struct web_svc_hist *hs = h->slots[i];
    struct web_hist_rec *r;
    double resp;

    if (hs == NULL) {
        size_t gl = strlen(group), sl = strlen(service);
        hs = xcalloc(1, sizeof *hs + gl + 1 + sl + 1);
        memcpy(hs->key, group, gl);
        hs->key[gl] = '\n';
        memcpy(hs->key + gl + 1, service, sl + 1);
        h->slots[i] = hs;
        h->used++;
        if (h->used * 2 > h->nslots)
            grow(h);
    }

    resp = perf_store(hs, hosts, nhosts, ps);

    if (hs->n == 0)
        hs->base_wall_ms = wall_ms;
    else if (wall_ms < hs->base_wall_ms ||
             wall_ms - hs->base_wall_ms > WEB_HIST_SPAN_MS)
        rebase(hs, wall_ms);
    r = ring_push(hs);
    r->t_ms = (uint32_t)(wall_ms - hs->base_wall_ms);
    r->word = pack_word(duration_ms, exit_status, ok);
    if (!isnan(resp) && hs->resp == NULL) {
        /* The first response time: the array comes, NAN for the rest. */
        hs->resp = xmalloc((size_t)hs->cap * sizeof *hs->resp);
        for (size_t k = 0; k < hs->cap; k++)
            hs->resp[k] = NAN;
    }
    if (hs->resp != NULL)
        hs->resp[r - hs->ring] = pack_resp(resp);
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
