/*
 * timeval.h — mon's time values: "30s", "5m", "1.5h", "2d", a bare number
 * meaning seconds.  Pure.
 */
#ifndef MOND_TIMEVAL_H
#define MOND_TIMEVAL_H

#include <stdbool.h>
#include <stdint.h>

/* Parse a whole string as a time value.  On success store milliseconds
 * in *ms and return 0; on failure return -1 and, if errcol is non-NULL,
 * store the 1-based column within s of the first bad character. */
int timeval_parse_ms(const char *s, int64_t *ms, int *errcol);

/* Format milliseconds the shortest exact way ("90s", "1.5h", "250ms").
 * Writes at most n bytes into buf; returns buf. */
char *timeval_format(int64_t ms, char *buf, size_t n);

#endif
