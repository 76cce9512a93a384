/*
 * moncf_parse.h — private to the mon.cf front-end (parse_moncf.c,
 * moncf_service.c, moncf_values.c): the parser's state and the helpers
 * its parts share.  Not for other modules: use parse_moncf.h.
 */
#ifndef MOND_MONCF_PARSE_H
#define MOND_MONCF_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "diag.h"
#include "moncf_read.h"

#define WARG(l, w) (int)(w).len, (l)->s + (w).off
#define TIME_EXPECTED "a time value such as 30s, 5m, 1.5h or 1d"

enum block { BLK_NONE = 0, BLK_GROUP, BLK_VIEW, BLK_ALIAS, BLK_WATCH };

/* What a service set itself; the rest comes from the globals at the end. */
enum {
    SET_DEP_MEMORY = 1u << 0,
    SET_UNACK = 1u << 1,
    SET_MONITOR_TIMEOUT = 1u << 2,
};

struct svc_note {
    size_t w, s;
    unsigned set;
};

/* A group:service reference in a dependency expression, checked at the
 * end (the service may be defined further down). */
struct ref_note {
    size_t w, s;
    const char *kw;             /* static keyword name */
    char *group, *service;
    const char *file;           /* NULL = the main file */
    int line, col;
};

struct view_note {
    size_t v;
    char *group;
    const char *file;           /* NULL = the main file */
    int line, col;
};

struct pstate {
    struct config *cfg;
    struct diag_list *errs;
    const char *file;
    struct moncf_line *l;
    enum block blk;
    size_t cur;                 /* current group / view / alias / watch */
    bool in_service, in_period;
    size_t svc, per;
    uint64_t svc_seen, per_seen;  /* keywords given (duplicate warnings) */
    char ctx[512];              /* "watch W service S" for messages */
    const char *keypath;        /* YAML key path prefixed to errors */
    struct svc_note *sn;
    size_t nsn, csn;
    struct ref_note *rn;
    size_t nrn, crn;
    struct view_note *vn;
    size_t nvn, cvn;
    /* Service names of the watch being read (index + 1 per slot, open
     * addressing), so a duplicate is found in O(1): a 10,000-service
     * watch would otherwise cost 50 million comparisons. */
    size_t *svc_slots;
    size_t svc_cap;
    size_t svc_watch;           /* the watch the slots describe */
};

/* Diagnostics at byte off of the current logical line: errors to
 * ps->errs, warnings to ps->cfg->warnings. */
void moncf_err(struct pstate *ps, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void moncf_warn(struct pstate *ps, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Words: equal to s; a copy; the rest of the line from off (a copy, ""
 * past the end). */
bool moncf_weq(const struct moncf_line *l, const struct moncf_word *w,
               const char *s);
char *moncf_wstr(const struct moncf_line *l, const struct moncf_word *w);
char *moncf_rest(const struct moncf_line *l, size_t off);
/* mon's tag characters [a-zA-Z0-9_.-] and a whole word of them. */
bool moncf_is_tag_char(char c);
bool moncf_is_tag(const struct moncf_line *l, const struct moncf_word *w);
/* Append s (taken) to the array (*v, *n). */
void moncf_push_str(char ***v, size_t *n, char *s);

/* The object being defined (valid while ps->blk == BLK_WATCH and, for
 * the service / period / note, in_service / in_period). */
struct watch *moncf_cur_watch(struct pstate *ps);
struct service *moncf_cur_svc(struct pstate *ps);
struct period_def *moncf_cur_per(struct pstate *ps);
struct svc_note *moncf_cur_note(struct pstate *ps);
/* ps->ctx = "watch W" / "watch W service S" / "" outside a watch. */
void moncf_set_ctx(struct pstate *ps);

/* Values; each reports its own error (naming ps->ctx) and returns false
 * (moncf_word_bool: -1) on a bad word. */
bool moncf_word_uint(struct pstate *ps, const struct moncf_word *w,
                     long min, long max, const char *what, long *out);
bool moncf_word_time(struct pstate *ps, const struct moncf_word *w,
                     bool positive, int64_t *ms);
int moncf_word_bool(const struct moncf_line *l, const struct moncf_word *w);
/* Exactly one word / no word after keyword kw. */
bool moncf_one_word(struct pstate *ps, const char *kw, size_t argoff,
                    const char *what, struct moncf_word *w);
bool moncf_no_words(struct pstate *ps, const char *kw, size_t argoff);

/* A line inside a watch block (service, NAME=value, period, keywords). */
void moncf_watch_line(struct pstate *ps);

#endif
