/*
 * histlog.h — mon's two append-only records of what happened: the alert
 * history (the last histlength lines in memory, every line appended to
 * historicfile) and the downtime log (dtlogfile).
 *
 * History lines are mon's "alerttype group service time program (args)
 * summary"; downtime lines "timenoticed group service firstfail downtime
 * interval summary" after mon's header.  File errors are logged and never
 * stop mond.
 */
#ifndef MOND_HISTLOG_H
#define MOND_HISTLOG_H

#include <stddef.h>
#include <stdint.h>

#define HISTLOG_LENGTH_DEFAULT 100
#define HISTLOG_LINE_MAX 4096           /* longer lines are cut */

struct histlog;

struct histlog *histlog_new(void);
void histlog_free(struct histlog *h);

/* Ring length (histlength; 0 = HISTLOG_LENGTH_DEFAULT); keeps the newest. */
void histlog_set_length(struct histlog *h, size_t len);

/* Remember line; when path is not NULL append it to that file too. */
void histlog_add(struct histlog *h, const char *line, const char *path);

/* Replace the ring with lines (oldest first; a saved state), without
 * touching any file. */
void histlog_restore(struct histlog *h, const char *const *lines, size_t n);

/* Oldest first; borrowed. */
size_t histlog_count(const struct histlog *h);
const char *histlog_at(const struct histlog *h, size_t i);

/* mon's readhistoricfile: the lines of path whose time (4th word) is not
 * older than historictime_ms before now (0 = all) go into the ring. */
void histlog_load(struct histlog *h, const char *path,
                  int64_t historictime_ms, int64_t now_wall_ms);

/* The downtime log: mon's header at start, a line per recovery. */
void histlog_dt_start(const char *path, int64_t now_wall_ms);
void histlog_dt_write(const char *path, int64_t now_wall_ms,
                      const char *group, const char *service,
                      int64_t first_fail_wall_ms, int64_t interval_ms,
                      const char *summary);

#endif
