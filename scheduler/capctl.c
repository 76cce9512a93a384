/*
 * capctl.c — tune how many children may be starting at once while a
 * backlog persists (see capctl.h).  Pure.
 */
#include "capctl.h"

#define NS_PER_MS 1000000LL

static void
forget(struct capctl *c)
{
    c->active = false;
    c->cap = c->max;
    c->idle_since = 0;
    c->win_start = 0;
    c->win_done = 0;
    c->best_windows = 0;
    c->probing = false;
    c->probe_dir = -1;
    for (int i = 0; i <= CAPCTL_LEVELS; i++)
        c->rate[i] = -1.0;
}

void
capctl_init(struct capctl *c, int ncpu)
{
    if (ncpu < 1)
        ncpu = 1;
    if (ncpu > CAPCTL_LEVELS)
        ncpu = CAPCTL_LEVELS;
    c->max = ncpu;
    c->changes = 0;
    forget(c);
}

int
capctl_best(const struct capctl *c)
{
    int best = 0;

    for (int l = c->max; l >= 1; l--) {
        if (c->rate[l] < 0)
            continue;
        if (best == 0 || c->rate[l] > c->rate[best] * (1.0 + CAPCTL_MARGIN))
            best = l;
    }
    return best != 0 ? best : c->max;
}

static void
set_level(struct capctl *c, int level)
{
    if (level != c->cap)
        c->changes++;
    c->cap = level;
}

/* Which level the next window measures, after one has closed. */
static int
next_level(struct capctl *c)
{
    int best = capctl_best(c);
    int lo = best - 1, hi = best + 1;

    if (c->probing) {
        c->probing = false;
        c->best_windows = 0;
        return best;
    }
    c->best_windows++;
    /* A neighbour never measured is measured next. */
    if (lo >= 1 && c->rate[lo] < 0) {
        c->probing = true;
        return lo;
    }
    if (hi <= c->max && c->rate[hi] < 0) {
        c->probing = true;
        return hi;
    }
    if (c->best_windows >= CAPCTL_PROBE_EVERY && c->max > 1) {
        int p = c->probe_dir < 0 ? lo : hi;

        if (p < 1 || p > c->max)
            p = c->probe_dir < 0 ? hi : lo;
        c->probe_dir = -c->probe_dir;
        c->probing = true;
        return p;
    }
    return best;
}

int
capctl_update(struct capctl *c, int64_t now_ns, uint64_t done_total,
              bool backlog)
{
    /* The backlog has been gone long enough: start over. */
    if (c->active && c->idle_since != 0 &&
        now_ns - c->idle_since >= CAPCTL_IDLE_MS * NS_PER_MS) {
        set_level(c, c->max);
        forget(c);
    }
    if (!backlog) {
        if (c->active && c->idle_since == 0)
            c->idle_since = now_ns;
        /* A window measures capacity only while work waits throughout. */
        c->win_start = 0;
        return c->cap;
    }
    c->idle_since = 0;
    c->active = true;
    if (c->win_start == 0) {
        c->win_start = now_ns;
        c->win_done = done_total;
        return c->cap;
    }
    if (now_ns - c->win_start < CAPCTL_WINDOW_MS * NS_PER_MS)
        return c->cap;

    {
        double r = (double)(done_total - c->win_done) * 1e9 /
                   (double)(now_ns - c->win_start);
        double *m = &c->rate[c->cap];

        *m = *m < 0 ? r : (*m + r) / 2.0;
    }
    set_level(c, next_level(c));
    c->win_start = now_ns;
    c->win_done = done_total;
    return c->cap;
}
