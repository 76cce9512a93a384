/*
 * period.c — the Time::Period language (mon's "period" lines), compiled
 * once into sub-periods of value ranges and matched against local time.
 *
 * The reference is Perl's Time::Period 1.25 inPeriod(), and this file
 * follows its code rather than its manual wherever the two part, so that
 * a mon.cf means the same under mond as under mon.  What inPeriod() does,
 * step by step, and where each step lives here:
 *
 *   1. trim \s (space \t \n \v \f \r), lower-case; "" is always in,
 *      "none" never (period_compile).
 *   2. split at commas (and the \s around them) into sub-periods,
 *      dropping trailing empty ones as Perl's split does: "hr {1}," is
 *      valid and "," is never in; an empty sub-period before a comma is
 *      an error (period_compile).
 *   3. a sub-period is one or more "scale {ranges}" groups: its brace
 *      counting and its split at "}" and following \s come to exactly
 *      that grammar (parse_sub).  The scale is a long name or a code
 *      (scale_lookup).
 *   4. inside the braces: leading \s skipped, the rest up to a newline
 *      kept (Perl's (.*) stops there), s/(\w+)\s*-\s*(\w+)/$1-$2/g,
 *      split on \s+ (parse_ranges).
 *   5. a range with a "-" splits at the LAST "-" (greedy (.*)-(.*)),
 *      both sides need a \w; each scale's own function then validates
 *      and converts the values (value_parse), quirks included: month
 *      names are their first 3 characters, weekdays their first 2, "13am"
 *      is hour 13, a single yday goes through Perl's numeric conversion
 *      before it is checked ("5a" is day 5), years 0-99 take the century
 *      of the time being matched and never wrap.
 *   6. groups of the same scale OR together, different scales AND, a
 *      scale with no ranges ("hr {}") is never in; sub-periods OR.
 *
 * One deliberate difference: inPeriod() checks a sub-period only when it
 * reaches it, so "hr {0-23}, garbage" is 1 at any time while "hr {1},
 * garbage" is -1 outside 1am.  We compile the whole spec up front and
 * refuse it if any sub-period is malformed; on every spec that has no
 * malformed sub-period the answers agree for every time.
 *
 * Pure: no globals but const tables, no I/O; period_match() reads the
 * zone through localtime_r.  A spec is at most PERIOD_MAX_LEN bytes.
 */
#include "period.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define PERIOD_MAX_LEN 8192

enum scale {
    SC_YR, SC_MO, SC_WK, SC_YD, SC_MD, SC_WD, SC_HR, SC_MIN, SC_SEC, SC_N
};

struct scale_name {
    const char *lng, *code;
    const char *expect;         /* the error when a value is bad */
};

static const struct scale_name scale_names[SC_N] = {
    [SC_YR] = { "year", "yr",
                "expected a year: 0-99 (this century) or 1970 and later" },
    [SC_MO] = { "month", "mo", "expected a month: 1-12 or jan-dec" },
    [SC_WK] = { "week", "wk", "expected a week of the month: 1-6" },
    [SC_YD] = { "yday", "yd", "expected a day of the year: 1-366" },
    [SC_MD] = { "mday", "md", "expected a day of the month: 1-31" },
    [SC_WD] = { "wday", "wd",
                "expected a weekday: 1-7 (1 is Sunday) or su-sa" },
    [SC_HR] = { "hour", "hr",
                "expected an hour: 0-23, 12am, 1am-11am, 12noon, 12pm, "
                "1pm-11pm" },
    [SC_MIN] = { "minute", "min", "expected a minute: 0-59" },
    [SC_SEC] = { "second", "sec", "expected a second: 0-59" },
};

static const char *const month_names[12] = {
    "jan", "feb", "mar", "apr", "may", "jun",
    "jul", "aug", "sep", "oct", "nov", "dec",
};

static const char *const wday_names[7] = {
    "su", "mo", "tu", "we", "th", "fr", "sa",
};

/* One range of one scale, in the scale's own terms (month 0-11, weekday
 * 0-6 Sunday first, week 0-5, yday 0-365, the rest as written).  Values
 * are doubles because Perl compares so: yd {5.000000000000001} passes
 * Perl's check (it prints as "4" after the decrement) yet never equals
 * a day. */
struct prange {
    double lo, hi;              /* hi only for is_range */
    bool is_range;
};

struct subperiod {
    unsigned present;           /* bit per scale named */
    struct prange *r[SC_N];     /* owned */
    size_t n[SC_N], cap[SC_N];
};

struct period {
    bool always;                /* blank spec */
    struct subperiod *subs;     /* owned; none = never ("none", ",") */
    size_t nsubs, cap;
};

struct parser {
    const char *s;
    const char *errmsg;         /* first error wins */
    size_t errpos;              /* 0-based */
};

/* Perl's \s on a byte string. */
static bool
is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f'
        || c == '\r';
}

/* Perl's \w on a byte string (no locale, no unicode_strings). */
static bool
is_word(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9') || c == '_';
}

static bool
is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int
lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool
fail(struct parser *ps, size_t pos, const char *msg)
{
    if (ps->errmsg == NULL) {
        ps->errmsg = msg;
        ps->errpos = pos;
    }
    return false;
}

/* Case-insensitive: is s[0..n) equal to the lower-case word w? */
static bool
word_eq(const char *s, size_t n, const char *w)
{
    if (strlen(w) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != w[i])
            return false;
    return true;
}

/* inPeriod's scale check: a name longer than 3 must be a long name,
 * one of 2 or 3 characters a code ("mon" is neither). */
static int
scale_lookup(const char *s, size_t n)
{
    for (int i = 0; i < SC_N; i++) {
        if (n > 3 && word_eq(s, n, scale_names[i].lng))
            return i;
        if (n > 1 && n <= 3 && word_eq(s, n, scale_names[i].code))
            return i;
    }
    return -1;
}

/* A string of ASCII digits only (Perl: !~ /\D/, non-empty), as a number.
 * Huge values lose precision but stay huge, as Perl's do. */
static bool
digits_value(const char *s, size_t n, double *v)
{
    double x = 0;

    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i]))
            return false;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
}

/* Perl's numeric value of a string: the longest decimal prefix
 * [+-]digits[.digits][e[+-]digits], 0 when there is none.  (Perl also
 * reads "inf" and "nan"; every use here rejects those anyway.) */
static double
perl_numify(const char *s, size_t n)
{
    char buf[128];
    size_t i = 0, nd = 0, end;

    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    for (; i < n && is_digit((unsigned char)s[i]); i++)
        nd++;
    if (i < n && s[i] == '.') {
        i++;
        for (; i < n && is_digit((unsigned char)s[i]); i++)
            nd++;
    }
    if (nd == 0)
        return 0;
    end = i;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j < n && is_digit((unsigned char)s[j])) {
            while (j < n && is_digit((unsigned char)s[j]))
                j++;
            end = j;
        }
    }
    if (end >= sizeof(buf))
        return 1e300;           /* only reachable with absurd digit runs */
    memcpy(buf, s, end);
    buf[end] = '\0';
    return strtod(buf, NULL);
}

/* Does Perl's stringification of v ("%.15g") contain only digits? */
static bool
perl_str_is_digits(double v)
{
    char buf[64];
    int r = snprintf(buf, sizeof(buf), "%.15g", v);

    if (r <= 0 || (size_t)r >= sizeof(buf))
        return false;
    for (int i = 0; i < r; i++)
        if (!is_digit((unsigned char)buf[i]))
            return false;
    return true;
}

/* A month or weekday name: Perl takes the first `sig` characters of a
 * value holding any letter a-z and looks them up. */
static bool
name_value(const char *s, size_t n, size_t sig, const char *const *names,
           int nnames, double *v)
{
    size_t k = n < sig ? n : sig;

    for (int i = 0; i < nnames; i++)
        if (word_eq(s, k, names[i])) {
            *v = i;
            return true;
        }
    return false;
}

static bool
has_alpha(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_alpha((unsigned char)s[i]))
            return true;
    return false;
}

static bool
has_word(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_word((unsigned char)s[i]))
            return true;
    return false;
}

/* hr: "Nam" (12am is 0), "Npm" (12pm is 12), "12noon", or digits. */
static bool
hour_value(const char *s, size_t n, double *v)
{
    size_t d = 0;
    double x;

    while (d < n && is_digit((unsigned char)s[d]))
        d++;
    if (d > 0 && d < n) {
        if (!digits_value(s, d, &x))
            return false;
        if (word_eq(s + d, n - d, "am"))
            *v = x == 12 ? 0 : x;
        else if (word_eq(s + d, n - d, "pm"))
            *v = x == 12 ? 12 : x + 12;
        else if (word_eq(s + d, n - d, "noon")) {
            if (x != 12)
                return false;
            *v = 12;
        } else
            return false;
    } else if (!digits_value(s, n, v)) {
        return false;
    }
    /* Perl re-checks the converted value against /\D/: 1e20 fails. */
    return *v >= 0 && *v <= 23;
}

/*
 * One value of scale sc, s[0..n) (the side of a range or a single
 * value), converted to the scale's terms; false if Perl's function for
 * the scale returns -1 on it.  single: the value stands alone (only yd
 * treats that differently).
 */
static bool
value_parse(int sc, const char *s, size_t n, bool single, double *v)
{
    switch (sc) {
    case SC_YR:
        if (!digits_value(s, n, v))
            return false;
        return !(*v > 99 && *v < 1970);
    case SC_MO:
        if (has_alpha(s, n))
            return name_value(s, n, 3, month_names, 12, v);
        if (!digits_value(s, n, v))
            return false;
        *v -= 1;
        return *v >= 0 && *v <= 11;
    case SC_WK:
        if (!digits_value(s, n, v))
            return false;
        *v -= 1;
        return *v >= 0 && *v <= 5;
    case SC_YD:
        if (single) {
            /* yd() decrements before its /\D/ check: "$range--" turns
             * "5a" into 4 and "2.0" into 1, both then valid. */
            *v = perl_numify(s, n) - 1.0;
            return perl_str_is_digits(*v) && *v >= 0 && *v <= 365;
        }
        if (!digits_value(s, n, v))
            return false;
        *v -= 1;
        return *v >= 0 && *v <= 365;
    case SC_MD:
        if (!digits_value(s, n, v))
            return false;
        return *v >= 1 && *v <= 31;
    case SC_WD:
        if (has_alpha(s, n))
            return name_value(s, n, 2, wday_names, 7, v);
        if (!digits_value(s, n, v))
            return false;
        *v -= 1;
        return *v >= 0 && *v <= 6;
    case SC_HR:
        return hour_value(s, n, v);
    case SC_MIN:
    case SC_SEC:
        if (!digits_value(s, n, v))
            return false;
        return *v >= 0 && *v <= 59;
    default:
        return false;
    }
}

static void
sub_add(struct subperiod *sp, int sc, const struct prange *r)
{
    xgrow((void **)&sp->r[sc], &sp->cap[sc], sp->n[sc] + 1, sizeof(*r));
    sp->r[sc][sp->n[sc]++] = *r;
}

/* One range token: text t[0..n), orig[i] the 0-based spec offset of t[i]. */
static bool
parse_token(struct parser *ps, struct subperiod *sp, int sc, const char *t,
            const size_t *orig, size_t n)
{
    const char *expect = scale_names[sc].expect;
    struct prange r = { 0 };
    size_t dash = n;

    for (size_t i = 0; i < n; i++)
        if (t[i] == '-')
            dash = i;           /* the last one: Perl's greedy (.*)-(.*) */
    if (dash == n) {
        if (!has_word(t, n))
            return fail(ps, orig[0], expect);
        if (!value_parse(sc, t, n, true, &r.lo))
            return fail(ps, orig[0], expect);
    } else {
        const char *t2 = t + dash + 1;
        size_t n2 = n - dash - 1;

        if (!has_word(t, dash))
            return fail(ps, dash > 0 ? orig[0] : orig[dash],
                        "expected a value before '-'");
        if (!has_word(t2, n2))
            return fail(ps, orig[dash], "expected a value after '-'");
        if (!value_parse(sc, t, dash, false, &r.lo))
            return fail(ps, orig[0], expect);
        if (!value_parse(sc, t2, n2, false, &r.hi))
            return fail(ps, orig[dash + 1], expect);
        r.is_range = true;
    }
    sub_add(sp, sc, &r);
    return true;
}

/*
 * The ranges between "{" and "}": the spec's bytes [b, e).  Emulates
 * s/(\w+)\s*-\s*(\w+)/$1-$2/g on a copy that remembers where each byte
 * came from, then splits on whitespace.
 */
static bool
parse_ranges(struct parser *ps, struct subperiod *sp, int sc, size_t b,
             size_t e)
{
    const char *s = ps->s;
    char *t;
    size_t *orig, n = 0, p;
    bool ok = true;

    while (b < e && is_space((unsigned char)s[b]))
        b++;
    for (size_t i = b; i < e; i++)
        if (s[i] == '\n') {     /* (.*) ends at a newline */
            e = i;
            break;
        }
    sp->present |= 1u << sc;    /* named, even with no ranges */
    if (b == e)
        return true;
    t = xmalloc(e - b);
    orig = xmalloc((e - b) * sizeof(*orig));

    p = b;
    while (p < e) {
        size_t r, j, k, k2;

        if (!is_word((unsigned char)s[p])) {
            t[n] = s[p];
            orig[n++] = p++;
            continue;
        }
        for (r = p; r < e && is_word((unsigned char)s[r]); r++)
            ;
        for (j = r; j < e && is_space((unsigned char)s[j]); j++)
            ;
        if (j < e && s[j] == '-') {
            for (k = j + 1; k < e && is_space((unsigned char)s[k]); k++)
                ;
            if (k < e && is_word((unsigned char)s[k])) {
                for (k2 = k; k2 < e && is_word((unsigned char)s[k2]); k2++)
                    ;
                for (size_t i = p; i < r; i++) {
                    t[n] = s[i];
                    orig[n++] = i;
                }
                t[n] = '-';
                orig[n++] = j;
                for (size_t i = k; i < k2; i++) {
                    t[n] = s[i];
                    orig[n++] = i;
                }
                p = k2;
                continue;
            }
        }
        for (size_t i = p; i < r; i++) {
            t[n] = s[i];
            orig[n++] = i;
        }
        p = r;
    }

    for (size_t i = 0; i < n && ok;) {
        size_t j;

        if (is_space((unsigned char)t[i])) {
            i++;
            continue;
        }
        for (j = i; j < n && !is_space((unsigned char)t[j]); j++)
            ;
        ok = parse_token(ps, sp, sc, t + i, orig + i, j - i);
        i = j;
    }
    free(t);
    free(orig);
    return ok;
}

/* One sub-period, the spec's bytes [b, e) (non-empty, no outer space):
 * ( [a-z]* \s* "{" [^{}]* "}" \s* )+ */
static bool
parse_sub(struct parser *ps, struct subperiod *sp, size_t b, size_t e)
{
    const char *s = ps->s;
    size_t p = b;

    while (p < e) {
        size_t name = p, q;
        int sc;

        while (p < e && is_alpha((unsigned char)s[p]))
            p++;
        if (p == name) {
            if (s[p] == '}')
                return fail(ps, p, "unexpected '}'");
            return fail(ps, p, "expected a scale name: year month week "
                        "yday mday wday hour minute second, or yr mo wk "
                        "yd md wd hr min sec");
        }
        sc = scale_lookup(s + name, p - name);
        if (sc < 0)
            return fail(ps, name, "unknown scale; expected year month "
                        "week yday mday wday hour minute second, or yr mo "
                        "wk yd md wd hr min sec");
        while (p < e && is_space((unsigned char)s[p]))
            p++;
        if (p >= e || s[p] != '{')
            return fail(ps, p, "expected '{' after the scale name");
        for (q = p + 1; q < e && s[q] != '{' && s[q] != '}'; q++)
            ;
        if (q >= e)
            return fail(ps, e, "expected '}' to close the range list");
        if (s[q] == '{')
            return fail(ps, q, "unexpected '{' in a range list; "
                        "expected '}'");
        if (!parse_ranges(ps, sp, sc, p + 1, q))
            return false;
        for (p = q + 1; p < e && is_space((unsigned char)s[p]); p++)
            ;
    }
    return true;
}

static void
subs_free(struct period *p)
{
    for (size_t i = 0; i < p->nsubs; i++)
        for (int k = 0; k < SC_N; k++)
            free(p->subs[i].r[k]);
    free(p->subs);
}

void
period_free(struct period *p)
{
    if (p == NULL)
        return;
    subs_free(p);
    free(p);
}

struct period *
period_compile(const char *spec, int *errcol, const char **errmsg)
{
    struct parser ps = { .s = spec };
    struct period *p;
    size_t len, b, e, empty_at = SIZE_MAX;
    int col_unused;
    const char *msg_unused;

    if (errcol == NULL)
        errcol = &col_unused;
    if (errmsg == NULL)
        errmsg = &msg_unused;
    if (spec == NULL)
        spec = ps.s = "";
    len = strnlen(spec, PERIOD_MAX_LEN + 1);
    if (len > PERIOD_MAX_LEN) {
        *errcol = PERIOD_MAX_LEN + 1;
        *errmsg = "period longer than 8192 characters";
        return NULL;
    }
    p = xcalloc(1, sizeof(*p));
    *errcol = 0;
    *errmsg = NULL;

    for (b = 0; b < len && is_space((unsigned char)spec[b]); b++)
        ;
    for (e = len; e > b && is_space((unsigned char)spec[e - 1]); e--)
        ;
    if (b == e) {
        p->always = true;
        return p;
    }
    if (word_eq(spec + b, e - b, "none"))
        return p;

    /* Fields between commas, trimmed.  Perl's split drops trailing
     * empty fields, so an empty one is an error only if a non-empty one
     * follows it. */
    for (size_t f = b; f <= e;) {
        size_t c = f, fb, fe;
        struct subperiod *sp;

        while (c < e && spec[c] != ',')
            c++;
        for (fb = f; fb < c && is_space((unsigned char)spec[fb]); fb++)
            ;
        for (fe = c; fe > fb && is_space((unsigned char)spec[fe - 1]); fe--)
            ;
        f = c + 1;
        if (fe == fb) {
            if (empty_at == SIZE_MAX)
                empty_at = c;
            continue;
        }
        if (empty_at != SIZE_MAX) {
            fail(&ps, empty_at, "expected a sub-period (scale {ranges}) "
                 "before ','");
            break;
        }
        xgrow((void **)&p->subs, &p->cap, p->nsubs + 1, sizeof(*p->subs));
        sp = &p->subs[p->nsubs++];
        memset(sp, 0, sizeof(*sp));
        if (!parse_sub(&ps, sp, fb, fe))
            break;
    }
    if (ps.errmsg != NULL) {
        *errcol = (int)ps.errpos + 1;
        *errmsg = ps.errmsg;
        period_free(p);
        return NULL;
    }
    return p;
}

/* Perl's getTimeVars() week: 0 plus one for each Sunday from the 2nd of
 * the month to today. */
static int
week_of_month(int mday, int wday)
{
    int wk = 0;

    for (int i = 2; i <= mday; i++)
        if (((wday - (mday - i)) % 7 + 7) % 7 == 0)
            wk++;
    return wk;
}

static bool
range_in(const struct prange *r, double x)
{
    if (!r->is_range)
        return r->lo == x;
    if (r->lo > r->hi)
        return r->lo <= x || r->hi >= x;    /* wraps around */
    return r->lo <= x && x <= r->hi;
}

/* yr: 0-99 take the first two digits of the year being matched as
 * their century, and a range is put in order instead of wrapping. */
static bool
year_in(const struct prange *r, int year)
{
    char buf[16];
    double century, lo = r->lo, hi = r->hi;

    snprintf(buf, sizeof(buf), "%d", year);
    buf[2] = '\0';
    century = atoi(buf);
    if (lo <= 99)
        lo += 100 * century;
    if (!r->is_range)
        return lo == year;
    if (hi <= 99)
        hi += 100 * century;
    if (lo > hi) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    return lo <= year && year <= hi;
}

bool
period_match_tm(const struct period *p, const struct tm *tm)
{
    double vals[SC_N];

    if (p->always)
        return true;
    vals[SC_YR] = tm->tm_year + 1900;
    vals[SC_MO] = tm->tm_mon;
    vals[SC_WK] = week_of_month(tm->tm_mday, tm->tm_wday);
    vals[SC_YD] = tm->tm_yday;
    vals[SC_MD] = tm->tm_mday;
    vals[SC_WD] = tm->tm_wday;
    vals[SC_HR] = tm->tm_hour;
    vals[SC_MIN] = tm->tm_min;
    vals[SC_SEC] = tm->tm_sec;

    for (size_t i = 0; i < p->nsubs; i++) {
        const struct subperiod *sp = &p->subs[i];
        bool all = true;

        for (int sc = 0; sc < SC_N && all; sc++) {
            bool any = false;

            if (!(sp->present & (1u << sc)))
                continue;
            for (size_t k = 0; k < sp->n[sc] && !any; k++)
                any = sc == SC_YR ? year_in(&sp->r[sc][k], tm->tm_year + 1900)
                                  : range_in(&sp->r[sc][k], vals[sc]);
            all = any;
        }
        if (all)
            return true;
    }
    return false;
}

bool
period_match(const struct period *p, time_t t)
{
    struct tm tm;

    if (p->always)
        return true;
    if (localtime_r(&t, &tm) == NULL)
        return false;
    return period_match_tm(p, &tm);
}
