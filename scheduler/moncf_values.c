/*
 * moncf_values.c — helpers shared by the parts of the mon.cf front-end:
 * positioned diagnostics, words, the object being defined, and the value
 * syntax of mon.cf (numbers, time values, yes/no).
 */
#include "moncf_parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "timeval.h"
#include "xalloc.h"
void
moncf_err(struct pstate *ps, size_t off, const char *fmt, ...)
{
    int line, col;
    va_list ap;
    const char *file = ps->l->file ? ps->l->file : ps->file;
    moncf_pos(ps->l, off, &line, &col);
    va_start(ap, fmt);
    if (ps->keypath != NULL && ps->keypath[0] != '\0') {
        char *msg = xvasprintf(fmt, ap);
        diag_add(ps->errs, DIAG_ERROR, file, line, col, "%s: %s",
                 ps->keypath, msg);
        free(msg);
    } else
        diag_vadd(ps->errs, DIAG_ERROR, file, line, col, fmt, ap);
    va_end(ap);
}

void
moncf_warn(struct pstate *ps, size_t off, const char *fmt, ...)
{
    int line, col;
    va_list ap;
    const char *file = ps->l->file ? ps->l->file : ps->file;
    moncf_pos(ps->l, off, &line, &col);
    va_start(ap, fmt);
    if (ps->keypath != NULL && ps->keypath[0] != '\0') {
        char *msg = xvasprintf(fmt, ap);
        diag_add(&ps->cfg->warnings, DIAG_WARNING, file, line, col,
                 "%s: %s", ps->keypath, msg);
        free(msg);
    } else
        diag_vadd(&ps->cfg->warnings, DIAG_WARNING, file, line, col,
                  fmt, ap);
    va_end(ap);
}

bool
moncf_weq(const struct moncf_line *l, const struct moncf_word *w, const char *s)
{
    return strlen(s) == w->len && memcmp(l->s + w->off, s, w->len) == 0;
}

char *
moncf_wstr(const struct moncf_line *l, const struct moncf_word *w)
{
    return xstrndup(l->s + w->off, w->len);
}

char *
moncf_rest(const struct moncf_line *l, size_t off)
{
    return off < l->len ? xstrdup(l->s + off) : xstrdup("");
}

bool
moncf_is_tag_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* mon's [a-zA-Z0-9_.-]+ for hostgroup, view, watch and service tags. */
bool
moncf_is_tag(const struct moncf_line *l, const struct moncf_word *w)
{
    for (size_t i = 0; i < w->len; i++)
        if (!moncf_is_tag_char(l->s[w->off + i]))
            return false;
    return w->len > 0;
}

void
moncf_push_str(char ***v, size_t *n, char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = s;
}

struct watch *
moncf_cur_watch(struct pstate *ps)
{
    return &ps->cfg->watches[ps->cur];
}

struct service *
moncf_cur_svc(struct pstate *ps)
{
    return &moncf_cur_watch(ps)->services[ps->svc];
}

struct period_def *
moncf_cur_per(struct pstate *ps)
{
    return &moncf_cur_svc(ps)->periods[ps->per];
}

struct svc_note *
moncf_cur_note(struct pstate *ps)
{
    return &ps->sn[ps->nsn - 1];
}

/* ---- values ----------------------------------------------------------- */

/* A decimal number in [min, max]; errors name what: "found "x", expected
 * what from min to max". */
bool
moncf_word_uint(struct pstate *ps, const struct moncf_word *w, long min,
                long max, const char *what, long *out)
{
    const struct moncf_line *l = ps->l;
    long v = 0;
    bool ok = w->len > 0 && w->len <= 10;
    for (size_t i = 0; ok && i < w->len; i++) {
        char c = l->s[w->off + i];
        if (c < '0' || c > '9')
            ok = false;
        else
            v = v * 10 + (c - '0');
    }
    if (!ok || v < min || v > max) {
        moncf_err(ps, w->off, "%s: found \"%.*s\", expected %s from %ld to %ld",
                  ps->ctx, WARG(l, *w), what, min, max);
        return false;
    }
    *out = v;
    return true;
}

bool
moncf_word_time(struct pstate *ps, const struct moncf_word *w, bool positive,
                int64_t *ms)
{
    char *t = moncf_wstr(ps->l, w);
    int ec = 0;
    bool ok = true;
    if (timeval_parse_ms(t, ms, &ec) < 0) {
        moncf_err(ps, w->off, "%s: found \"%s\", expected " TIME_EXPECTED,
                  ps->ctx, t);
        ok = false;
    } else if (positive && *ms <= 0) {
        moncf_err(ps, w->off,
                  "%s: found \"%s\", expected a positive time value", ps->ctx,
                  t);
        ok = false;
    }
    free(t);
    return ok;
}

/* yes/no words of mon's boolean globals. */
int
moncf_word_bool(const struct moncf_line *l, const struct moncf_word *w)
{
    static const char *const yes[] = {"1", "y", "yes", "true", "on"};
    static const char *const no[] = {"0", "n", "no", "false", "off"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (w->len == strlen(yes[i])
            && strncasecmp(l->s + w->off, yes[i], w->len) == 0)
            return 1;
        if (w->len == strlen(no[i])
            && strncasecmp(l->s + w->off, no[i], w->len) == 0)
            return 0;
    }
    return -1;
}

/* Exactly one word after a keyword: an error names the keyword and what
 * was expected. */
bool
moncf_one_word(struct pstate *ps, const char *kw, size_t argoff,
               const char *what, struct moncf_word *w)
{
    struct moncf_word ws[2];
    size_t n = moncf_split(ps->l, argoff, ws, 2);
    if (n == 0) {
        moncf_err(ps, argoff, "%s: found end of line, expected %s after \"%s\"",
                  ps->ctx, what, kw);
        return false;
    }
    if (n > 1) {
        moncf_err(ps, ws[1].off,
                  "%s: found \"%.*s\", expected end of line after "
                  "%s",
                  ps->ctx, WARG(ps->l, ws[1]), kw);
        return false;
    }
    *w = ws[0];
    return true;
}

bool
moncf_no_words(struct pstate *ps, const char *kw, size_t argoff)
{
    struct moncf_word w;
    if (moncf_split(ps->l, argoff, &w, 1) == 0)
        return true;
    moncf_err(ps, w.off, "%s: found \"%.*s\", expected end of line after %s",
              ps->ctx, WARG(ps->l, w), kw);
    return false;
}

void
moncf_set_ctx(struct pstate *ps)
{
    if (ps->blk != BLK_WATCH) {
        ps->ctx[0] = '\0';
        return;
    }
    struct watch *w = moncf_cur_watch(ps);
    if (!ps->in_service) {
        snprintf(ps->ctx, sizeof(ps->ctx), "watch %s", w->name);
        return;
    }
    struct service *s = moncf_cur_svc(ps);
    snprintf(ps->ctx, sizeof(ps->ctx), "watch %s service %s", w->name,
             s->name);
}
