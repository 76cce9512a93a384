/*
 * timeval.c — mon's time values ("30s", "5m", "1.5h", "2d", a bare number
 * meaning seconds) parsed to and formatted from milliseconds.
 *
 * mon's dhmstos() accepts a decimal number and an optional d/h/m/s
 * suffix; we add "ms" for the finer deadlines mond keeps.  Parsing is
 * exact integer arithmetic: a fraction that does not come to a whole
 * millisecond ("1.0005s") is refused rather than rounded, and a value
 * past INT64_MAX milliseconds is refused rather than wrapped.
 */
#include "timeval.h"

#include <stdio.h>
#include <string.h>

#define TIMEVAL_MAX_FRAC 18     /* fraction digits kept (10^18 < 2^63) */

struct unit {
    const char *suffix;
    int64_t ms;
};

/* Largest first: timeval_format() prefers the larger unit on a tie. */
static const struct unit units[] = {
    { "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 },
    { "ms", 1 },
};
#define NUNITS (sizeof(units) / sizeof(units[0]))

static int
lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int
fail(int *errcol, size_t pos)
{
    if (errcol != NULL)
        *errcol = (int)pos + 1;
    return -1;
}

/* The unit named by s (whole rest of the string), or NULL. */
static const struct unit *
unit_lookup(const char *s)
{
    char buf[3];
    size_t n = strlen(s);

    if (n == 0)
        return &units[3];       /* bare number: seconds */
    if (n > 2)
        return NULL;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)lower((unsigned char)s[i]);
    buf[n] = '\0';
    for (size_t i = 0; i < NUNITS; i++)
        if (strcmp(buf, units[i].suffix) == 0)
            return &units[i];
    return NULL;
}

/*
 * Grammar: DIGITS [ "." DIGITS ] [ "ms" | "s" | "m" | "h" | "d" ],
 * suffix case-insensitive, no sign, no whitespace.  The value is
 * (int_part * 10^f + frac) * unit / 10^f, computed in 128 bits.
 */
int
timeval_parse_ms(const char *s, int64_t *ms, int *errcol)
{
    size_t i = 0, frac_last_nonzero = 0;
    unsigned __int128 mant = 0, scale = 1;
    const struct unit *u;
    int nfrac = 0;

    if (s == NULL || s[0] == '\0')
        return fail(errcol, 0);
    if (!is_digit((unsigned char)s[0]))
        return fail(errcol, 0);
    for (; is_digit((unsigned char)s[i]); i++) {
        mant = mant * 10 + (unsigned)(s[i] - '0');
        if (mant > (unsigned __int128)INT64_MAX)
            return fail(errcol, i);
    }
    if (s[i] == '.') {
        i++;
        if (!is_digit((unsigned char)s[i]))
            return fail(errcol, i);
        for (; is_digit((unsigned char)s[i]); i++) {
            if (s[i] != '0')
                frac_last_nonzero = i;
            if (nfrac < TIMEVAL_MAX_FRAC) {
                mant = mant * 10 + (unsigned)(s[i] - '0');
                scale *= 10;
                nfrac++;
            } else if (s[i] != '0') {
                return fail(errcol, i);   /* finer than we can hold */
            }
        }
    }
    u = unit_lookup(s + i);
    if (u == NULL)
        return fail(errcol, i);
    /* mant < 2^63 * 10^18 < 2^123; times 86400000 (< 2^27) fits 2^128. */
    if (mant > ((unsigned __int128)1 << 100))
        return fail(errcol, i);
    {
        unsigned __int128 total = mant * (unsigned __int128)u->ms;
        if (total % scale != 0)
            return fail(errcol, frac_last_nonzero);
        total /= scale;
        if (total > (unsigned __int128)INT64_MAX)
            return fail(errcol, s[i] != '\0' ? i : 0);
        *ms = (int64_t)total;
    }
    if (errcol != NULL)
        *errcol = 0;
    return 0;
}

/* Render |ms| in unit u exactly into buf (no sign); false if it does
 * not fit. */
static bool
render(uint64_t ms, const struct unit *u, char *buf, size_t n)
{
    uint64_t whole = ms / (uint64_t)u->ms, rest = ms % (uint64_t)u->ms;
    char frac[24];
    size_t nf = 0;
    int r;

    /* The fraction rest / u->ms, digit by digit.  It ends within 10
     * digits when it ends at all (86400000 = 2^10 * 3^3 * 5^5), so 12
     * is a safe bound; a fraction in thirds never ends. */
    while (rest != 0 && nf < 12) {
        rest *= 10;
        frac[nf++] = (char)('0' + rest / (uint64_t)u->ms);
        rest %= (uint64_t)u->ms;
    }
    if (rest != 0)
        return false;           /* not exact in this unit */
    frac[nf] = '\0';
    if (nf > 0)
        r = snprintf(buf, n, "%llu.%s%s", (unsigned long long)whole, frac,
                     u->suffix);
    else
        r = snprintf(buf, n, "%llu%s", (unsigned long long)whole, u->suffix);
    return r >= 0 && (size_t)r < n;
}

/* Of the exact renderings in units no larger than the value, the
 * shortest; on a tie the larger unit. */
char *
timeval_format(int64_t ms, char *buf, size_t n)
{
    char best[48] = "", cand[48];
    uint64_t mag;
    const char *sign = "";

    if (n == 0)
        return buf;
    if (ms == 0) {
        snprintf(buf, n, "0s");
        return buf;
    }
    if (ms < 0) {
        sign = "-";
        mag = (uint64_t)0 - (uint64_t)ms;
    } else {
        mag = (uint64_t)ms;
    }
    for (size_t i = 0; i < NUNITS; i++) {
        if (mag < (uint64_t)units[i].ms)
            continue;           /* "0.25s" reads worse than "250ms" */
        if (!render(mag, &units[i], cand, sizeof(cand)))
            continue;
        if (best[0] == '\0' || strlen(cand) < strlen(best))
            memcpy(best, cand, sizeof(best));
    }
    snprintf(buf, n, "%s%s", sign, best);
    return buf;
}
