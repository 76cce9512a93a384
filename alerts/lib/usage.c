/* usage.c — bad usage of an alert program (see usage.h). */
#include "usage.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void
alert_usage(const char *prog, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see %s --help)\n", prog);
    exit(ALERT_EXIT_USAGE);
}
