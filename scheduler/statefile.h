/*
 * statefile.h — mond's state file: what survives a restart.
 *
 * Per service its whole runtime state (struct svc_state: opstatus,
 * counters, ack and comment, last outputs, per-period alert bookkeeping),
 * disabled hosts, watches and services, and the alert history.  mon's
 * own state files (statedir/disabled, statedir/opstatus) keep less; this
 * file is mond's, loaded at start and written on change.
 *
 * Format (text, one record a line, fields separated by tabs, values
 * escaped so they hold no tab, newline, '=' or backslash):
 *
 *     mond-state 1
 *     svc<TAB>group=G<TAB>service=S<TAB>opstatus=0<TAB>...
 *     period<TAB>group=G<TAB>service=S<TAB>index=0<TAB>spec=...<TAB>...
 *     host<TAB>group=G<TAB>host=H
 *     watch<TAB>watch=W
 *     alert<TAB>line=...
 *     end
 *
 * Unknown fields are ignored (a newer mond may add some); a missing
 * "end", an unknown record or a bad version makes the file corrupt.
 * Writes go through atomicfile_write(), so a file is whole or old.
 */
#ifndef MOND_STATEFILE_H
#define MOND_STATEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "atomicfile.h"
#include "config.h"
#include "decide.h"
#include "diag.h"

#define STATEFILE_VERSION 1
#define STATEFILE_MAX_BYTES (64u * 1024 * 1024)   /* refuse bigger files */

struct statefile_svc {
    char *group, *service;
    struct svc_state st;        /* owned deep copy; st.periods as saved */
    char **period_specs;        /* st.nperiods items: label or spec, to
                                 * match periods after a config change */
    int64_t ack_wall_ms;        /* when acknowledged (0 = unknown/none) */
};

struct statefile_host {
    char *group, *host;
};

struct statefile {
    struct statefile_svc *svcs;
    size_t nsvcs, capsvcs;
    struct statefile_host *hosts;   /* disabled hosts */
    size_t nhosts, caphosts;
    char **watches;                 /* disabled watches */
    size_t nwatches, capwatches;
    char **history;                 /* alert history lines, oldest first */
    size_t nhistory, caphistory;
};

void statefile_init(struct statefile *sf);
void statefile_fini(struct statefile *sf);

/* Append copies (the arguments stay the caller's).  svc gives the period
 * labels/specs of st's periods; it may be NULL. */
void statefile_add_service(struct statefile *sf, const char *group,
                           const char *service, const struct service *svc,
                           const struct svc_state *st, int64_t ack_wall_ms);
void statefile_add_host(struct statefile *sf, const char *group,
                        const char *host);
void statefile_add_watch(struct statefile *sf, const char *watch);
void statefile_add_history(struct statefile *sf, const char *line);

/* The saved record of (group, service), or NULL. */
const struct statefile_svc *statefile_find(const struct statefile *sf,
                                           const char *group,
                                           const char *service);

/* Overwrite st (state of svc in the current config) with saved: every
 * field; per-period state by matching label/spec, else by index when the
 * count is unchanged; periods that match nothing start fresh. */
void statefile_apply(const struct statefile_svc *saved,
                     const struct service *svc, struct svc_state *st);

/* The file text.  Returns a new string. */
char *statefile_format(const struct statefile *sf);

/* Parse text (name for messages) into sf (initialised by the caller).
 * 0, or -1 with the errors "name:line:col: error: ..." in errs (sf then
 * holds what was read before the error; finish it anyway). */
int statefile_parse(const char *name, const char *text, struct statefile *sf,
                    struct diag_list *errs);

/* Write sf to path atomically (mode 0600).  0, or -1 with errno and err. */
int statefile_save(const char *path, const struct statefile *sf,
                   struct atomicfile_err *err);

enum statefile_load_result {
    STATEFILE_LOADED = 0,
    STATEFILE_ABSENT,           /* no file: a first start */
    STATEFILE_CORRUPT,          /* unreadable content: moved aside */
    STATEFILE_ERROR,            /* could not read (errno in errs) */
};

/* Load path into sf (initialised by the caller).  A corrupt file is
 * renamed to "path.corrupt.<epoch>" (the new name in *moved_to, caller
 * frees; NULL if the rename failed) and its errors are in errs. */
enum statefile_load_result statefile_load(const char *path,
                                          struct statefile *sf,
                                          struct diag_list *errs,
                                          char **moved_to);

#endif
