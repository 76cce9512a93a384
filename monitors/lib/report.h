/*
 * report.h — the output convention every shipped monitor follows.
 *
 *   line 1   the failing items (hosts, arrays, sensors), sorted, space
 *            separated, then " | " and the perfdata of all items
 *            (empty summary when all is well: mon compares summaries)
 *   line 2+  one detail line per item: "NAME: STATUS reason measurements"
 *   exit     0 all ok, 1 some warning, 2 some critical, 3 could not check
 *
 * Usage: report_init(), then per item report_item() (+ report_perf()),
 * then return report_finish(stdout).  Not thread-safe; one per process.
 */
#ifndef MOND_MON_REPORT_H
#define MOND_MON_REPORT_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

enum mon_status { MON_OK = 0, MON_WARN = 1, MON_CRIT = 2, MON_UNKNOWN = 3 };

const char *mon_status_name(enum mon_status s);   /* "ok" "WARNING" ... */

struct report_item;
struct report {
    struct report_item *items;
    size_t n, cap;
    char *perf;                 /* accumulated perfdata text */
    size_t perf_len, perf_cap;
};

void report_init(struct report *r);
void report_fini(struct report *r);

/* Record an item: its name (as it appears in the summary when it fails),
 * its status and a detail text (printf format). */
void report_item(struct report *r, const char *name, enum mon_status st,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void report_vitem(struct report *r, const char *name, enum mon_status st,
                  const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/* Append one perfdata item: 'label'=value[unit];warn;crit;min;max.
 * Pass NAN for thresholds/min/max that do not apply. */
void report_perf(struct report *r, const char *label, double value,
                 const char *unit, double warn, double crit, double min,
                 double max);

/* Worst status over all items (MON_OK when none). */
enum mon_status report_worst(const struct report *r);

/* Print summary, details and perfdata to out; return the exit code. */
int report_finish(struct report *r, FILE *out);

/* Bad arguments: print "PROG: message" and the usage hint to stderr,
 * exit 3.  A monitor that cannot check at all (no permission, no data)
 * prints its reason as the summary line and exits 3: report_fatal(). */
_Noreturn void report_usage(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
_Noreturn void report_fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Monotonic clock in ms / us, for deadlines and measurements. */
int64_t mono_ms(void);
int64_t mono_us(void);

/* Parse "-t SECONDS" style values (may be fractional) into ms; -1 if bad. */
int64_t parse_seconds_ms(const char *s);

#endif
