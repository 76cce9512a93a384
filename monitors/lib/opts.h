/*
 * opts.h — option values the shipped monitors share.  Each one checks its
 * argument and, when it is bad, names the option and the value and exits
 * 3 through report_usage() (the monitor convention for bad arguments).
 */
#ifndef MOND_MON_OPTS_H
#define MOND_MON_OPTS_H

#include <regex.h>

/* A positive number of seconds (fractions allowed), e.g. --warn 0.5. */
double opt_seconds(const char *prog, const char *opt, const char *v);

/* A whole number of days from 0 to 100000 (--cert-days). */
int opt_days(const char *prog, const char *opt, const char *v);

/* An extended regular expression matched per line (--expect); compiled
 * into *re, which the caller frees with regfree(). */
void opt_regex(const char *prog, const char *opt, const char *v, regex_t *re);

#endif
