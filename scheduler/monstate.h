/*
 * monstate.h — mon's own state files in statedir, for "savestate",
 * "loadstate" and mond -l, so state moves between mon and mond:
 *
 *   statedir/disabled   "disable host H", "disable watch W",
 *                       "disable service G S" lines;
 *   statedir/opstatus   one line per service: tab-separated key=value
 *                       fields (group, service, op_status, counters,
 *                       times in time(2) seconds, summaries, ack, and
 *                       per period "LABEL:last_alert" ...), values
 *                       escaped as mon's esc_str() ("\xx" hex).
 *
 * These are mon's formats (save_state() / load_state() of mon 1.3),
 * byte for byte where mon reads them.  mond's own, fuller state file is
 * statefile.h's; these exist for compatibility and are written only on
 * request.  Loading only adds: "disabled" disables what the file lists
 * (nothing is enabled), "opstatus" overwrites the fields it carries for
 * the services that exist in the current config and leaves the rest.
 *
 * The line functions are pure; monstate_save() and monstate_load() read
 * and write the files and act on the service table.
 */
#ifndef MOND_MONSTATE_H
#define MOND_MONSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "decide.h"

struct svctab;
struct srv_state;

/* State types, a bit mask: mon's words "disabled", "opstatus", "all". */
#define MONSTATE_DISABLED 1u
#define MONSTATE_OPSTATUS 2u
#define MONSTATE_ALL (MONSTATE_DISABLED | MONSTATE_OPSTATUS)

#define MONSTATE_LINE_MAX (1024 * 1024)   /* longer opstatus lines skipped */

/* The mask for one word, or 0 for a word mon does not know (mon ignores
 * those silently). */
unsigned monstate_type(const char *word);

/* mon's esc_str() (bytes <= 32 or > 126, '"' and '\'' as "\xx"), plus
 * '=' and '\\' so a value never splits a field; mon's un_esc_str()
 * reads both back.  Caller frees. */
char *monstate_escape(const char *s);
/* mon's un_esc_str(): every "\xx" (lower-case hex) becomes its byte. */
char *monstate_unescape(const char *s);

/* One line of statedir/opstatus (no newline) for service svc (its watch
 * names the group) in state st; ack_wall_ms is when it was acknowledged
 * (0 = unknown) and traphost the last trap's sender (NULL = none).
 * Caller frees. */
char *monstate_opstatus_line(const struct service *svc,
                             const struct svc_state *st, int64_t ack_wall_ms,
                             const char *traphost);

/* A parsed opstatus line: its fields, keys and values borrowed from the
 * line that was parsed (values still escaped). */
struct monstate_field {
    const char *key, *value;
};
#define MONSTATE_FIELDS_MAX 256
struct monstate_rec {
    const char *group, *service;    /* NULL when the line lacks them */
    struct monstate_field f[MONSTATE_FIELDS_MAX];
    size_t n;
};

/* Split line (modified in place: tabs and '=' become NULs) as mon's
 * load_state(): fields split on tabs, each at its last '='.  Fields
 * without '=' are skipped.  Returns 0, or -1 when group or service is
 * missing. */
int monstate_opstatus_parse(char *line, struct monstate_rec *rec);

/* Apply rec to the state st of svc: the fields mon saves that mond
 * keeps (opstatus, counters, times, summaries, ack, failure output,
 * per-period last alert and alerts sent); unknown fields and periods
 * are ignored.  *ack_wall_ms gets the ack time (0 when not acked or not
 * known); *traphost (may be NULL) a new string with the last trap's
 * sender, or NULL. */
void monstate_opstatus_apply(const struct monstate_rec *rec,
                             const struct service *svc, struct svc_state *st,
                             int64_t *ack_wall_ms, char **traphost);

/* Write statedir/<type> for every type in types (atomically, 0644).
 * ss (may be NULL) gives ack times and trap senders.  0, or -1 when a
 * file could not be written (logged). */
int monstate_save(struct svctab *tab, struct srv_state *ss,
                  const char *statedir, unsigned types);

/* Read statedir/<type> for every type in types and apply it to the
 * table (ss, may be NULL, gets ack times and trap senders).  Unknown
 * groups, services and hosts are logged and skipped, as mon.  0, or -1
 * when a file could not be read (logged). */
int monstate_load(struct svctab *tab, struct srv_state *ss,
                  const char *statedir, unsigned types);

/* Disable or enable host h in every hostgroup that holds it; a group of
 * which it is the only member has its watch disabled too (mon's
 * disen_host()).  Returns how many groups hold h. */
size_t monstate_set_host(struct svctab *tab, const char *h, bool disabled);

#endif
