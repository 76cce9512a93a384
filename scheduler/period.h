/*
 * period.h — the Time::Period language used by mon's period lines:
 *   wd {Mon-Fri} hr {7am-10pm}, yd yr mo wk md wd hr min sec (long names
 *   too: year month week yday mday wday hour minute second), ranges that
 * wrap around, several sub-periods joined by ",", "none", blank = always.
 * Evaluated in local time.  Semantics must agree with Perl's
 * Time::Period inPeriod() (Debian libtime-period-perl) on every spec and
 * time.  Pure: compile once, match many times.
 */
#ifndef MOND_PERIOD_H
#define MOND_PERIOD_H

#include <stdbool.h>
#include <time.h>

struct period;                  /* opaque compiled spec */

/* Compile spec (NULL is blank).  Returns a new period, owned by the
 * caller (period_free()), with *errcol 0 and *errmsg NULL; or NULL, with
 * *errcol the 1-based column in spec where the error was found and
 * *errmsg (static string) saying what was expected.  Unlike inPeriod(),
 * which only looks at a sub-period when it gets to it, any malformed
 * sub-period refuses the whole spec.  errcol, errmsg may be NULL. */
struct period *period_compile(const char *spec, int *errcol,
                              const char **errmsg);
void period_free(struct period *p);

/* Is wall-clock time t (seconds since the epoch) inside the period,
 * evaluated in local time?  A blank spec is always in; "none" never. */
bool period_match(const struct period *p, time_t t);

/* Same on an already broken-down local time (tests, and callers that
 * evaluate many periods at one instant). */
bool period_match_tm(const struct period *p, const struct tm *tm);

#endif
