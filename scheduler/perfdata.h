/*
 * perfdata.h — Nagios-style performance data in monitor output:
 *   summary text | label=value[unit];[warn];[crit];[min];[max] 'a b'=3ms ...
 * The part after the first unquoted "|" on a line is perfdata; the part
 * before it is the text.  A quote opens only at a word start and only if
 * it is closed on the line (so "can't" is text).  The part after "|" is
 * taken as perfdata only if it is blank or at least one item in it
 * parses; otherwise the line is left whole (a mon monitor printing
 * "sda | sdb").  warn/crit keep only the plain-number form; a range
 * ("10:20", "@5:8", "~:3") leaves has_warn/has_crit false.  Pure.
 */
#ifndef MOND_PERFDATA_H
#define MOND_PERFDATA_H

#include <stdbool.h>
#include <stddef.h>

struct perf_item {
    char *label;                /* unquoted */
    double value;
    char unit[8];               /* UOM: letters or "%", up to 7: "", "s",
                                 * "ms", "us", "%", "B", "KB", "MB", "c" */
    bool has_warn, has_crit, has_min, has_max;
    double warn, crit, min, max;   /* warn/crit: the plain-number form only */
};

struct perf_set {
    struct perf_item *items;
    size_t n, cap;
};

void perf_set_init(struct perf_set *ps);
void perf_set_fini(struct perf_set *ps);

/* Split monitor output into summary (first line, perfdata stripped and
 * trailing blanks trimmed) and detail (the remaining lines, each with its
 * perfdata stripped), and collect every perfdata item from every line
 * into ps (items that do not parse are skipped).  out/len need not be
 * NUL-terminated.  *summary and *detail are new strings (caller frees). */
void perfdata_split_output(const char *out, size_t len, char **summary,
                           char **detail, struct perf_set *ps);

/* Parse one perfdata string (the part after "|").  Returns the number of
 * items added to ps. */
size_t perfdata_parse(const char *s, struct perf_set *ps);

#endif
