/*
 * timeval.h — mon's time values: "30s", "5m", "1.5h", "2d", a bare number
 * meaning seconds.  Pure.
 */
#ifndef MOND_TIMEVAL_H
#define MOND_TIMEVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Grammar: DIGITS [ "." DIGITS ] [ "ms" | "s" | "m" | "h" | "d" ], the
 * suffix in any case, no sign, no whitespace; a fraction must come to a
 * whole millisecond ("1.5s" yes, "1.0005s" no).
 * Parse a whole string as a time value.  On success store milliseconds
 * in *ms and return 0; on failure return -1 and, if errcol is non-NULL,
 * store the 1-based column within s of the first bad character. */
int timeval_parse_ms(const char *s, int64_t *ms, int *errcol);

/* Format milliseconds the shortest exact way in a unit no larger than
 * the value, the larger unit on a tie ("90s", "1.5s", "36h", "250ms",
 * "0s", "-5m"); timeval_parse_ms() reads it back (the sign aside).
 * Writes at most n bytes into buf; returns buf. */
char *timeval_format(int64_t ms, char *buf, size_t n);

#endif
