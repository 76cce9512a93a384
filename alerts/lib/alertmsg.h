/*
 * alertmsg.h — what an alert program receives from mon or mond, and the
 * text a person reads about it.
 *
 * mon's alert contract (DESIGN.md): argv
 *   -s service -g group -h "host1 host2" -t time [-l alertevery] [-u] [-T]
 *   [-O] [-S summary] [program args...]
 * environment MON_ALERTTYPE, MON_RETVAL, MON_OPSTATUS, MON_DESCRIPTION,
 * MON_GROUP, MON_SERVICE, MON_FIRST_FAILURE, MON_LAST_FAILURE,
 * MON_LAST_SUCCESS; stdin the summary line, then the detail.
 *
 * Everything here is pure (no I/O, no clock, no globals) except
 * alert_read_stream(), which reads a bounded amount from a fd.  An
 * alert_info owns all its strings; alert_info_fini() frees them.
 */
#ifndef MOND_ALERT_ALERTMSG_H
#define MOND_ALERT_ALERTMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* getopt short options for mon's alert arguments; a program appends its
 * own ("+" is not used: options may follow mon's or the addresses). */
#define ALERT_MON_SHORTOPTS "s:g:h:t:l:uTOS:"

/* How much of stdin is read: summary and detail together. */
#define ALERT_INPUT_MAX ((size_t)64 * 1024)

enum alert_type {
    ALERT_FAILURE = 0,          /* "failure": subject keyword ALERT */
    ALERT_UP,                   /* "up": UPALERT */
    ALERT_STARTUP,              /* "startup": STARTUP */
    ALERT_TRAP,                 /* "trap": TRAP */
    ALERT_TRAPTIMEOUT,          /* "traptimeout": TRAPTIMEOUT */
};

struct alert_info {
    char *group;                /* -g, else MON_GROUP; never NULL after finish */
    char *service;              /* -s, else MON_SERVICE */
    char *hosts;                /* -h, space separated; "" when none */
    int64_t time_wall_s;        /* -t; 0 = not given */
    int64_t alertevery_s;       /* -l; -1 = not given */
    bool flag_up, flag_trap, flag_traptimeout;   /* -u -T -O */
    char *summary_override;     /* -S (mon's alerts accept it) */
    enum alert_type type;
    bool has_retval;
    int retval;                 /* MON_RETVAL */
    char *opstatus;             /* MON_OPSTATUS or NULL */
    char *description;          /* MON_DESCRIPTION or NULL */
    int64_t first_failure_wall_s;   /* MON_FIRST_FAILURE; 0 = unknown */
    int64_t last_failure_wall_s;    /* MON_LAST_FAILURE */
    int64_t last_success_wall_s;    /* MON_LAST_SUCCESS */
    char *summary;              /* first stdin line (or -S), "" when none */
    char *detail;               /* the rest of stdin, "" when none */
    size_t input_dropped;       /* bytes of stdin past ALERT_INPUT_MAX */
};

void alert_info_init(struct alert_info *ai);
void alert_info_fini(struct alert_info *ai);

/* Apply one of mon's options (a character of ALERT_MON_SHORTOPTS) with its
 * argument.  Returns 1 when handled, 0 when opt is not one of mon's, -1
 * when the value is bad (err, of errlen bytes, says which and why). */
int alert_mon_option(struct alert_info *ai, int opt, const char *arg,
                     char *err, size_t errlen);

/* Fill what argv did not give from an environment (envp NULL-terminated,
 * "KEY=VALUE" strings, as environ).  Never fails: a malformed number is
 * treated as absent. */
void alert_info_from_env(struct alert_info *ai, char *const *envp);

/* Set summary and detail from stdin's bytes (buf need not be
 * NUL-terminated; NULs become spaces).  Line ends may be LF or CRLF. */
void alert_info_set_input(struct alert_info *ai, const char *buf, size_t len);

/* Read fd to EOF keeping at most ALERT_INPUT_MAX bytes (the rest counted
 * in input_dropped) and call alert_info_set_input().  0, or -1 + errno. */
int alert_read_stream(struct alert_info *ai, int fd);

/* Decide the type after options and environment: -u wins, then
 * MON_ALERTTYPE, then -T / -O, else failure.  Also applies -S. */
void alert_info_finish(struct alert_info *ai, const char *env_alerttype);

const char *alert_type_keyword(enum alert_type t);   /* "ALERT", "UPALERT"... */
const char *alert_type_name(enum alert_type t);      /* "failure", "up"... */

/* One line of text a header or a chat title may hold: CR, LF, TAB and
 * other control characters become spaces, runs of spaces are kept, invalid
 * UTF-8 bytes become U+FFFD.  Caller frees. */
char *alert_clean_line(const char *s);

/* Replace invalid UTF-8 with U+FFFD and NUL-free control characters other
 * than LF and TAB with spaces; CRLF becomes LF.  Caller frees. */
char *alert_clean_text(const char *s);

/* "ALERT group/service: summary", cleaned to one line.  Caller frees. */
char *alert_subject(const struct alert_info *ai);

/* A duration for people: "45s", "3m 20s", "2h 5m", "3d 4h".  buf >= 32. */
void alert_format_duration(int64_t secs, char *buf, size_t len);

/* Local time as "Mon, 23 Nov 2026 12:00:00 +0100" (RFC 5322 form).
 * buf >= 40.  Uses localtime_r (the TZ of the process). */
void alert_format_time(int64_t wall_s, char *buf, size_t len);

/* The body a person reads (UTF-8, LF line ends): summary, type, group,
 * service, hosts, detection time, description, failing for / down for,
 * last OK, next alert, then the detail.  now_wall_s is used when -t was not given.
 * Caller frees. */
char *alert_body(const struct alert_info *ai, int64_t now_wall_s);

#endif
