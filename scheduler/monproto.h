/*
 * monproto.h — mon's client line protocol, pure: parsing one command
 * line, splitting its arguments as mon does, mon's hex escaping, and the
 * reply lines clients parse (list opstatus).  No sockets here: srv_mon.c
 * reads lines and writes what these functions build; monctl uses the
 * same code to read replies.
 *
 * The formats are mon 1.3's (client_command(), client_write_opstatus(),
 * esc_str() and un_esc_str() of /usr/sbin/mon; _opstatus_to_vars() of
 * Mon::Client), byte for byte where clients parse them.
 */
#ifndef MOND_MONPROTO_H
#define MOND_MONPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest command line a client may send, newline excluded.  mon has no
 * bound; the longest legitimate line (an ack comment) is far shorter. */
#define MONPROTO_LINE_MAX 8192

/* mon's protocol version (0x2611), answered by "version" and "protid". */
#define MONPROTO_PROT_VERSION 9745

/* The commands of mon's client_command() regexp, in its order. */
enum monproto_verb {
    MONPROTO_DUMP = 0, MONPROTO_LOGIN, MONPROTO_DISABLE, MONPROTO_ENABLE,
    MONPROTO_QUIT, MONPROTO_LIST, MONPROTO_SET, MONPROTO_GET,
    MONPROTO_SETVIEW, MONPROTO_GETVIEW, MONPROTO_STOP, MONPROTO_START,
    MONPROTO_LOADSTATE, MONPROTO_SAVESTATE, MONPROTO_RESET,
    MONPROTO_CLEAR, MONPROTO_CHECKAUTH, MONPROTO_RELOAD, MONPROTO_TERM,
    MONPROTO_TEST, MONPROTO_SERVERTIME, MONPROTO_ACK, MONPROTO_VERSION,
    MONPROTO_PROTID, MONPROTO_UNACK,
    MONPROTO_NVERBS
};

/* The lower-case name of a verb ("list"); it is also the name auth.cf
 * uses for the command. */
const char *monproto_verb_name(enum monproto_verb v);

struct monproto_cmd {
    enum monproto_verb verb;
    const char *args;           /* the rest after the blanks; "" if none;
                                 * borrowed from the parsed line */
};

/* Parse one line (no newline) as mon does: a verb, case-insensitive,
 * then nothing or blanks and arguments.  Returns 0, or -1 when the line
 * is not a command (mon answers "520 invalid command").  cmd->args
 * points into line. */
int monproto_parse(const char *line, struct monproto_cmd *cmd);

/* Perl's split(/\s+/, s, max): at most max fields, the last one holding
 * the rest of s; max == 0 means no limit (trailing empty fields are
 * dropped, as Perl does).  Writes NUL bytes into s; fields point into
 * it.  A leading blank yields a leading empty field, as Perl.  Returns
 * the number of fields (0 for an empty s). */
size_t monproto_split(char *s, char **fields, size_t max);

/* mon's esc_str(): bytes <= 32, > 126, " and ' as \xx (lower-case hex);
 * with in_quotes a backslash becomes two.  Returns a new string. */
char *monproto_esc(const char *s, bool in_quotes);

/* mon's un_esc_str(): every \xx (two lower-case hex digits) back to its
 * byte.  A \00 ends the result (C strings).  Returns a new string. */
char *monproto_unesc(const char *s);

/* The first word of s as Perl's Text::ParseWords::parse_line('\s+', 0,
 * s) returns it, then un_esc_str'd: what mon makes of an ack comment or
 * a "set" value ('it\20is' and "a b" quoted, backslash escapes outside
 * single quotes).  Returns a new string; "" when s is blank. */
char *monproto_first_word(const char *s);

/* One line of "list opstatus" (client_write_opstatus()).  Times are wall
 * seconds.  MONPROTO_UNSET prints as an empty value, as mon prints an
 * undefined one. */
#define MONPROTO_UNSET INT64_MIN
struct monproto_opstatus {
    const char *group, *service;
    int opstatus, last_opstatus;
    int64_t exitval;            /* MONPROTO_UNSET prints "undef" (mon's
                                 * value before the first run) */
    int64_t timer;              /* seconds until the next check */
    int64_t last_success, last_trap, last_check, ack;
    const char *last_traphost;
    const char *ackcomment;     /* shown only when ack != 0 */
    int64_t alerts_sent;
    int64_t depstatus;
    const char *depend, *hostdepend, *monitordepend, *alertdepend;
    const char *monitor;        /* the monitor line as written */
    const char *last_summary, *last_detail;
    int64_t last_failure;       /* shown when non-zero */
    int64_t interval;           /* seconds; 0 = no monitor fields */
    int64_t monitor_duration;
    bool monitor_running;
    const char *exclude_period; /* NULL or "" = not shown */
    const char *exclude_hosts;  /* space separated; NULL or "" = not shown */
    int64_t randskew;           /* shown when non-zero */
    int64_t last_alert;         /* shown when non-zero */
    int64_t first_failure;      /* shown when non-zero, with duration */
    int64_t now;                /* for failure_duration */
};
/* The line, newline included.  Returns a new string. */
char *monproto_opstatus_line(const struct monproto_opstatus *o);

/* A reply line parsed as Mon::Client's _opstatus_to_vars(): var=value
 * pairs, value unescaped.  Returns the number of pairs (up to max);
 * names and values are new strings the caller frees. */
struct monproto_var {
    char *name;
    char *value;
};
size_t monproto_parse_vars(const char *line, struct monproto_var *vars,
                           size_t max);
void monproto_vars_free(struct monproto_var *vars, size_t n);
/* Value of name in vars, or NULL. */
const char *monproto_var_get(const struct monproto_var *vars, size_t n,
                             const char *name);

#endif
