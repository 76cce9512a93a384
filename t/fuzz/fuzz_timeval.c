/*
 * fuzz_timeval.c — mon's time values, timeval_parse_ms() and
 * timeval_format().
 *
 * The input, up to its first NUL byte, is parsed.  Checks: success gives
 * a value >= 0 that timeval_format() writes back in a form that parses
 * to the same value; failure gives a column inside the input (1 to its
 * length + 1).  The first 8 input bytes are also taken as a number of
 * milliseconds to format: the result is NUL-terminated, fits, and
 * parses back to the same value (sign aside), as timeval.h promises.
 */
#include <inttypes.h>

#include "fuzz.h"
#include "timeval.h"

static void
check_format(int64_t ms)
{
    char buf[64];
    memset(buf, 'x', sizeof(buf));
    char *s = timeval_format(ms, buf, sizeof(buf));
    FUZZ_CHECK(s == buf, "timeval_format did not return buf");
    FUZZ_CHECK(memchr(buf, '\0', sizeof(buf)) != NULL,
               "%" PRId64 ": no NUL in 64 bytes", ms);
    /* A small buffer: at most n bytes written (ASan sees more). */
    char *small = malloc(4);
    FUZZ_CHECK(small != NULL, "malloc");
    (void)timeval_format(ms, small, 4);
    free(small);

    const char *digits = buf;
    if (ms < 0) {
        FUZZ_CHECK(buf[0] == '-', "%" PRId64 " formatted as \"%s\"", ms, buf);
        digits = buf + 1;
        if (ms == INT64_MIN)
            return;         /* -ms does not exist */
    }
    int64_t back = -1;
    int col = -1;
    FUZZ_CHECK(timeval_parse_ms(digits, &back, &col) == 0,
               "%" PRId64 " formatted as \"%s\" does not parse (col %d)",
               ms, buf, col);
    FUZZ_CHECK(back == (ms < 0 ? -ms : ms), "%" PRId64 " -> \"%s\" -> %"
               PRId64, ms, buf, back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *s = fuzz_cstr(data, size);
    size_t len = strlen(s);
    int64_t ms = -1;
    int col = -1;

    if (timeval_parse_ms(s, &ms, &col) == 0) {
        FUZZ_CHECK(ms >= 0, "\"%s\" -> %" PRId64, s, ms);
        check_format(ms);
    } else {
        FUZZ_CHECK(col >= 1 && (size_t)col <= len + 1,
                   "\"%s\": error column %d", s, col);
    }
    FUZZ_CHECK(timeval_parse_ms(s, &ms, NULL) == 0 ||
               timeval_parse_ms(s, &ms, NULL) == -1, "rc");
    if (size >= 8) {
        uint64_t u = 0;
        for (int i = 0; i < 8; i++)
            u = u << 8 | data[i];
        check_format((int64_t)u);
    }
    free(s);
    return 0;
}
