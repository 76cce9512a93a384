/*
 * alertmsg.c — mon's alert arguments, environment and stdin, and the text
 * a person reads (see alertmsg.h).
 */
#include "alertmsg.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "strbuf.h"

void
alert_info_init(struct alert_info *ai)
{
    memset(ai, 0, sizeof(*ai));
    ai->alertevery_s = -1;
    ai->type = ALERT_FAILURE;
}

void
alert_info_fini(struct alert_info *ai)
{
    free(ai->group);
    free(ai->service);
    free(ai->hosts);
    free(ai->summary_override);
    free(ai->opstatus);
    free(ai->description);
    free(ai->summary);
    free(ai->detail);
    alert_info_init(ai);
}

/* Parse a whole decimal integer; false when not one (or out of range). */
static bool
parse_i64(const char *s, int64_t *out)
{
    if (s == NULL || *s == '\0')
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || end == s)
        return false;
    *out = (int64_t)v;
    return true;
}

static void
set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = strbuf_xstrdup(v);
}

int
alert_mon_option(struct alert_info *ai, int opt, const char *arg,
                 char *err, size_t errlen)
{
    int64_t v;

    switch (opt) {
    case 's': set_str(&ai->service, arg); return 1;
    case 'g': set_str(&ai->group, arg); return 1;
    case 'h': set_str(&ai->hosts, arg); return 1;
    case 'S': set_str(&ai->summary_override, arg); return 1;
    case 'u': ai->flag_up = true; return 1;
    case 'T': ai->flag_trap = true; return 1;
    case 'O': ai->flag_traptimeout = true; return 1;
    case 't':
        if (!parse_i64(arg, &v) || v < 0) {
            snprintf(err, errlen, "-t: expected seconds since the epoch, "
                     "got \"%s\"", arg);
            return -1;
        }
        ai->time_wall_s = v;
        return 1;
    case 'l':
        if (!parse_i64(arg, &v) || v < 0) {
            snprintf(err, errlen, "-l: expected the alert interval in "
                     "seconds, got \"%s\"", arg);
            return -1;
        }
        ai->alertevery_s = v;
        return 1;
    default:
        return 0;
    }
}

static const char *
env_get(char *const *envp, const char *key)
{
    size_t klen = strlen(key);
    for (size_t i = 0; envp != NULL && envp[i] != NULL; i++)
        if (strncmp(envp[i], key, klen) == 0 && envp[i][klen] == '=')
            return envp[i] + klen + 1;
    return NULL;
}

static int64_t
env_time(char *const *envp, const char *key)
{
    int64_t v;
    const char *s = env_get(envp, key);
    if (s == NULL || !parse_i64(s, &v) || v < 0)
        return 0;
    return v;
}

void
alert_info_from_env(struct alert_info *ai, char *const *envp)
{
    const char *s;
    int64_t v;

    if (ai->group == NULL && (s = env_get(envp, "MON_GROUP")) != NULL)
        set_str(&ai->group, s);
    if (ai->service == NULL && (s = env_get(envp, "MON_SERVICE")) != NULL)
        set_str(&ai->service, s);
    if ((s = env_get(envp, "MON_RETVAL")) != NULL && parse_i64(s, &v) &&
        v >= -1000000 && v <= 1000000) {
        ai->has_retval = true;
        ai->retval = (int)v;
    }
    if ((s = env_get(envp, "MON_OPSTATUS")) != NULL)
        set_str(&ai->opstatus, s);
    if ((s = env_get(envp, "MON_DESCRIPTION")) != NULL && *s != '\0')
        set_str(&ai->description, s);
    ai->first_failure_wall_s = env_time(envp, "MON_FIRST_FAILURE");
    ai->last_failure_wall_s = env_time(envp, "MON_LAST_FAILURE");
    ai->last_success_wall_s = env_time(envp, "MON_LAST_SUCCESS");
    alert_info_finish(ai, env_get(envp, "MON_ALERTTYPE"));
}

void
alert_info_finish(struct alert_info *ai, const char *env_alerttype)
{
    static const struct { const char *name; enum alert_type t; } types[] = {
        { "failure", ALERT_FAILURE }, { "up", ALERT_UP },
        { "startup", ALERT_STARTUP }, { "trap", ALERT_TRAP },
        { "traptimeout", ALERT_TRAPTIMEOUT },
    };
    bool found = false;

    if (ai->flag_up) {
        ai->type = ALERT_UP;
        found = true;
    }
    for (size_t i = 0; !found && env_alerttype != NULL &&
         i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(env_alerttype, types[i].name) == 0) {
            ai->type = types[i].t;
            found = true;
        }
    if (!found)
        ai->type = ai->flag_traptimeout ? ALERT_TRAPTIMEOUT :
                   ai->flag_trap ? ALERT_TRAP : ALERT_FAILURE;
    if (ai->group == NULL)
        ai->group = strbuf_xstrdup("");
    if (ai->service == NULL)
        ai->service = strbuf_xstrdup("");
    if (ai->hosts == NULL)
        ai->hosts = strbuf_xstrdup("");
    if (ai->summary_override != NULL)
        set_str(&ai->summary, ai->summary_override);
    if (ai->summary == NULL)
        ai->summary = strbuf_xstrdup("");
    if (ai->detail == NULL)
        ai->detail = strbuf_xstrdup("");
}

void
alert_info_set_input(struct alert_info *ai, const char *buf, size_t len)
{
    const char *nl = memchr(buf, '\n', len);
    size_t slen = nl ? (size_t)(nl - buf) : len;
    size_t rest = nl ? len - slen - 1 : 0;
    char *sum = strbuf_xstrndup(buf, slen);
    char *det = strbuf_xstrndup(nl ? nl + 1 : "", rest);

    for (size_t i = 0; i < slen; i++)
        if (sum[i] == '\0')
            sum[i] = ' ';
    if (slen > 0 && sum[slen - 1] == '\r')
        sum[slen - 1] = '\0';
    for (size_t i = 0; i < rest; i++)
        if (det[i] == '\0')
            det[i] = ' ';
    free(ai->summary);
    free(ai->detail);
    ai->summary = sum;
    ai->detail = det;
    if (ai->summary_override != NULL)
        set_str(&ai->summary, ai->summary_override);
}

int
alert_read_stream(struct alert_info *ai, int fd)
{
    char *buf = strbuf_xmalloc(ALERT_INPUT_MAX);
    size_t len = 0;
    char sink[4096];

    for (;;) {
        ssize_t n;
        if (len < ALERT_INPUT_MAX)
            n = read(fd, buf + len, ALERT_INPUT_MAX - len);
        else
            n = read(fd, sink, sizeof(sink));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            errno = e;
            return -1;
        }
        if (n == 0)
            break;
        if (len < ALERT_INPUT_MAX)
            len += (size_t)n;
        else
            ai->input_dropped += (size_t)n;
    }
    alert_info_set_input(ai, buf, len);
    free(buf);
    return 0;
}

const char *
alert_type_keyword(enum alert_type t)
{
    switch (t) {
    case ALERT_UP: return "UPALERT";
    case ALERT_STARTUP: return "STARTUP";
    case ALERT_TRAP: return "TRAP";
    case ALERT_TRAPTIMEOUT: return "TRAPTIMEOUT";
    case ALERT_FAILURE: break;
    }
    return "ALERT";
}

const char *
alert_type_name(enum alert_type t)
{
    switch (t) {
    case ALERT_UP: return "up";
    case ALERT_STARTUP: return "startup";
    case ALERT_TRAP: return "trap";
    case ALERT_TRAPTIMEOUT: return "traptimeout";
    case ALERT_FAILURE: break;
    }
    return "failure";
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid.
 * Rejects overlongs, surrogates and code points past U+10FFFF. */
static size_t
utf8_seq_len(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if (c == 0xe0 && s[1] < 0xa0)
            return 0;
        if (c == 0xed && s[1] >= 0xa0)
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
            (s[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && s[1] < 0x90)
            return 0;
        if (c == 0xf4 && s[1] >= 0x90)
            return 0;
        return 4;
    }
    return 0;
}

/* Shared cleaner: one_line turns LF and TAB into spaces as well. */
static char *
clean(const char *s, bool one_line)
{
    struct strbuf b = STRBUF_INIT;
    const unsigned char *p = (const unsigned char *)s;

    while (*p != '\0') {
        if (*p < 0x80) {
            unsigned char c = *p;
            if (c == '\r' && p[1] == '\n' && !one_line) {
                p++;
                continue;
            }
            if (c == 0x7f || (c < 0x20 && (one_line ||
                                           (c != '\n' && c != '\t'))))
                c = ' ';
            strbuf_addc(&b, (char)c);
            p++;
            continue;
        }
        size_t n = utf8_seq_len(p);
        if (n == 0) {
            strbuf_adds(&b, "\xef\xbf\xbd");    /* U+FFFD */
            p++;
            continue;
        }
        /* C1 controls (U+0080..U+009F) are controls too. */
        if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)
            strbuf_addc(&b, ' ');
        else
            strbuf_add(&b, p, n);
        p += n;
    }
    return strbuf_take(&b);
}

char *
alert_clean_line(const char *s)
{
    return clean(s, true);
}

char *
alert_clean_text(const char *s)
{
    return clean(s, false);
}

char *
alert_subject(const struct alert_info *ai)
{
    struct strbuf b = STRBUF_INIT;
    strbuf_addf(&b, "%s %s/%s", alert_type_keyword(ai->type), ai->group,
                ai->service);
    if (ai->summary != NULL && ai->summary[0] != '\0')
        strbuf_addf(&b, ": %s", ai->summary);
    char *raw = strbuf_take(&b);
    char *s = alert_clean_line(raw);
    free(raw);
    /* Trim trailing spaces left by a stripped CR or LF. */
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
    return s;
}

void
alert_format_duration(int64_t secs, char *buf, size_t len)
{
    if (secs < 0)
        secs = 0;
    int64_t d = secs / 86400, h = secs % 86400 / 3600,
            m = secs % 3600 / 60, s = secs % 60;
    if (d > 0)
        snprintf(buf, len, "%" PRId64 "d %" PRId64 "h", d, h);
    else if (h > 0)
        snprintf(buf, len, "%" PRId64 "h %" PRId64 "m", h, m);
    else if (m > 0)
        snprintf(buf, len, "%" PRId64 "m %" PRId64 "s", m, s);
    else
        snprintf(buf, len, "%" PRId64 "s", s);
}

void
alert_format_time(int64_t wall_s, char *buf, size_t len)
{
    static const char days[7][4] = {
        "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char months[12][4] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun",
        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t t = (time_t)wall_s;
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL) {
        snprintf(buf, len, "@%" PRId64, wall_s);
        return;
    }
    long off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
             days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
             sign, off / 60, off % 60);
}

/* "Label       : value\n" with the value cleaned to one line. */
static void
add_field(struct strbuf *b, const char *label, const char *value)
{
    char *v = alert_clean_line(value);
    strbuf_addf(b, "%-13s: %s\n", label, v);
    free(v);
}

char *
alert_body(const struct alert_info *ai, int64_t now_wall_s)
{
    struct strbuf b = STRBUF_INIT;
    char tbuf[64], dbuf[32], vbuf[128];
    int64_t t = ai->time_wall_s > 0 ? ai->time_wall_s : now_wall_s;
    char *subject = alert_subject(ai);

    strbuf_adds(&b, subject);
    strbuf_adds(&b, "\n\n");
    free(subject);

    add_field(&b, "Summary", ai->summary);
    if (ai->has_retval)
        snprintf(vbuf, sizeof(vbuf), "%s (exit %d)",
                 alert_type_name(ai->type), ai->retval);
    else
        snprintf(vbuf, sizeof(vbuf), "%s", alert_type_name(ai->type));
    add_field(&b, "Alert type", vbuf);
    add_field(&b, "Group", ai->group);
    add_field(&b, "Service", ai->service);
    add_field(&b, "Hosts", ai->hosts[0] ? ai->hosts : "(none)");
    alert_format_time(t, tbuf, sizeof(tbuf));
    add_field(&b, ai->type == ALERT_UP ? "Recovered" : "Detected", tbuf);
    if (ai->description != NULL)
        add_field(&b, "Description", ai->description);

    if (ai->first_failure_wall_s > 0 && ai->first_failure_wall_s <= t) {
        alert_format_duration(t - ai->first_failure_wall_s, dbuf,
                              sizeof(dbuf));
        alert_format_time(ai->first_failure_wall_s, tbuf, sizeof(tbuf));
        snprintf(vbuf, sizeof(vbuf), "%s (since %s)", dbuf, tbuf);
        add_field(&b, ai->type == ALERT_UP ? "Was down for" : "Failing for",
                  vbuf);
    }
    if (ai->type != ALERT_UP && ai->last_success_wall_s > 0) {
        alert_format_time(ai->last_success_wall_s, tbuf, sizeof(tbuf));
        add_field(&b, "Last OK", tbuf);
    }
    if (ai->type != ALERT_UP && ai->alertevery_s > 0) {
        alert_format_duration(ai->alertevery_s, dbuf, sizeof(dbuf));
        alert_format_time(t + ai->alertevery_s, tbuf, sizeof(tbuf));
        snprintf(vbuf, sizeof(vbuf), "not before %s (every %s)", tbuf,
                 dbuf);
        add_field(&b, "Next alert", vbuf);
    }

    if (ai->detail != NULL && ai->detail[0] != '\0') {
        char *d = alert_clean_text(ai->detail);
        strbuf_adds(&b, "\nDetail:\n");
        strbuf_adds(&b, d);
        if (b.len > 0 && b.s[b.len - 1] != '\n')
            strbuf_addc(&b, '\n');
        free(d);
    }
    if (ai->input_dropped > 0)
        strbuf_addf(&b, "[%zu more bytes of detail not shown]\n",
                    ai->input_dropped);
    return strbuf_take(&b);
}
