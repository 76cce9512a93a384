/*
 * fuzz_period.c — the Time::Period language, period_compile() then
 * period_match_tm() and period_match().
 *
 * The input is the spec (up to its first NUL byte).  Checks: a spec
 * compiles with errcol 0 and no message, or fails with a message and a
 * column inside the spec (1 to its length + 1); a spec of blanks only
 * is always in; matching is deterministic and period_match(t) agrees
 * with period_match_tm(localtime(t)).  Times: fixed edge cases (leap
 * day, year ends, Sunday/Saturday, midnight, 23:59:59) and a few picked
 * by a hash of the input.
 */
#include <time.h>

#include "fuzz.h"
#include "period.h"

/* Edge instants, UTC seconds; matched in local time either way. */
static const time_t fixed_times[] = {
    0,              /* 1970-01-01 Thu 00:00:00 */
    951782400,      /* 2000-02-29 Tue 00:00:00 */
    1709251199,     /* 2024-02-29 Thu 23:59:59 */
    1709510400,     /* 2024-03-04 Mon 00:00:00 */
    1709424000,     /* 2024-03-03 Sun 00:00:00 */
    1735689599,     /* 2024-12-31 Tue 23:59:59 */
    1735689600,     /* 2025-01-01 Wed 00:00:00 */
    4102444799,     /* 2099-12-31 Thu 23:59:59 */
};

static void
check_at(const struct period *p, time_t t, bool blank)
{
    struct tm tm;
    FUZZ_CHECK(localtime_r(&t, &tm) != NULL, "localtime_r");
    bool a = period_match_tm(p, &tm);
    bool b = period_match_tm(p, &tm);
    bool c = period_match(p, t);
    FUZZ_CHECK(a == b, "period_match_tm not deterministic at %lld",
               (long long)t);
    FUZZ_CHECK(a == c, "period_match %d != period_match_tm %d at %lld",
               c, a, (long long)t);
    FUZZ_CHECK(!blank || a, "blank spec not in at %lld", (long long)t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *spec = fuzz_cstr(data, size);
    size_t len = strlen(spec);
    int col = -1;
    const char *msg = "unset";
    struct period *p = period_compile(spec, &col, &msg);

    if (p == NULL) {
        FUZZ_CHECK(msg != NULL && msg[0] != '\0', "no message");
        FUZZ_CHECK(col >= 1 && (size_t)col <= len + 1,
                   "error column %d, spec of %zu bytes: %s", col, len, msg);
    } else {
        FUZZ_CHECK(col == 0 && msg == NULL, "compiled with col %d msg %s",
                   col, msg ? msg : "(null)");
        bool blank = strspn(spec, " \t\n\r\f\v") == len;
        for (size_t i = 0; i < sizeof(fixed_times) / sizeof(fixed_times[0]);
             i++)
            check_at(p, fixed_times[i], blank);
        uint64_t h = fuzz_hash(data, size);
        for (int i = 0; i < 4; i++) {
            /* 1970 .. 2106, spread by the hash */
            check_at(p, (time_t)(h % 4294967296ULL), blank);
            h = h * 6364136223846793005ULL + 1442695040888963407ULL;
        }
        period_free(p);
    }
    /* The NULL spec and the argument-less calls are valid too. */
    p = period_compile(NULL, NULL, NULL);
    FUZZ_CHECK(p != NULL, "NULL spec refused");
    period_free(p);
    free(spec);
    return 0;
}
