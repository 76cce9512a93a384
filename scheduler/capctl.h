/*
 * capctl.h — how many children may be starting at once while checks are
 * waiting for the CPU.  Pure: no I/O, time and counts come in as
 * arguments.  Used by the spawner (spawn.c).
 *
 * Under overload the spawner holds ordinary jobs while "fresh" children
 * (started moments ago, still running) reach a level.  The best level is
 * not the number of CPUs everywhere: on some virtual machines two children
 * starting on two CPUs each take more than twice as long as one alone, so
 * fewer at once runs more checks per second.  capctl finds the level by
 * measuring: while a backlog persists it runs each level for a window,
 * counts completions, keeps the best, and now and then probes a
 * neighbouring level to follow a machine whose behaviour changes.
 *
 * Levels are 1 .. max (max = the CPUs); the level max means "the plain
 * overload guard" (spawn_guard_holds), lower levels a strict limit.  A
 * lower level is chosen only when it is measurably (CAPCTL_MARGIN) better,
 * so ties keep the concurrency.  When the backlog has been gone for
 * CAPCTL_IDLE_MS, everything is forgotten and the level returns to max.
 */
#ifndef MOND_CAPCTL_H
#define MOND_CAPCTL_H

#include <stdbool.h>
#include <stdint.h>

#define CAPCTL_LEVELS 64        /* highest level tracked */
#define CAPCTL_WINDOW_MS 500    /* one measurement */
#define CAPCTL_PROBE_EVERY 8    /* windows at the best level between probes */
#define CAPCTL_IDLE_MS 1000     /* backlog gone this long: start over */
#define CAPCTL_MARGIN 0.03      /* a lower level must be 3 % better */

struct capctl {
    int max;                    /* highest level: the CPUs */
    int cap;                    /* level in force */
    bool active;                /* a backlog was seen: tuning */
    int64_t idle_since;         /* backlog gone since (0: present) */
    int64_t win_start;          /* 0: no window open */
    uint64_t win_done;          /* completions counted at win_start */
    double rate[CAPCTL_LEVELS + 1];     /* completions/s; < 0 unknown */
    int best_windows;           /* windows at the best level since a probe */
    bool probing;               /* the open window measures a probe */
    int probe_dir;              /* next routine probe: -1 down, +1 up */
    uint64_t changes;           /* how often the level changed */
};

void capctl_init(struct capctl *c, int ncpu);

/*
 * Note the state at a spawner decision: now, the count of ordinary jobs
 * finished so far, and whether jobs are still waiting in the queue.
 * Returns the level in force from now on.
 */
int capctl_update(struct capctl *c, int64_t now_ns, uint64_t done_total,
                  bool backlog);

/* The level that measured best (ties and near-ties go to the higher). */
int capctl_best(const struct capctl *c);

#endif
