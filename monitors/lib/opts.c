/* opts.c — shared option values of the monitors (see opts.h). */
#include "opts.h"

#include <stdint.h>
#include <stdlib.h>

#include "report.h"

double
opt_seconds(const char *prog, const char *opt, const char *v)
{
    int64_t ms = parse_seconds_ms(v);
    if (ms < 0)
        report_usage(prog, "%s: expected a positive number of seconds, "
                     "got \"%s\"", opt, v);
    return (double)ms / 1000.0;
}

int
opt_days(const char *prog, const char *opt, const char *v)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end != '\0' || n < 0 || n > 100000)
        report_usage(prog, "%s: expected a number of days, got \"%s\"", opt,
                     v);
    return (int)n;
}

void
opt_regex(const char *prog, const char *opt, const char *v, regex_t *re)
{
    int rc = regcomp(re, v, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
    if (rc != 0) {
        char err[200];
        regerror(rc, re, err, sizeof(err));
        report_usage(prog, "%s: bad regular expression \"%s\": %s", opt, v,
                     err);
    }
}
