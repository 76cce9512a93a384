/*
 * spool.h — the alert spool: durable alerts between "decided" and
 * "delivered".
 *
 * mond writes an alert here before it starts the alert program and removes
 * it only when the program exits 0; a failed or timed-out alert is
 * rescheduled with backoff; at start-up every spooled alert is loaded and
 * delivered.  Delivery is therefore at-least-once: a crash between the
 * program's exit 0 and spool_done() repeats that alert once.
 *
 * Layout: STATEDIR/spool/ID, one file per alert, written only through
 * atomicfile_write(); STATEDIR/spool/corrupt/ holds files that could not
 * be read, set aside (never deleted) and reported.  IDs are
 * "<first spooled wall ms>-<pid>-<seq>": sortable, unique per process.
 *
 * File format (text, version 1), one "key value" per line, values with
 * '%', control bytes and DEL written as %XX:
 *
 *   mond-spool 1
 *   group web
 *   service http
 *   program /usr/lib/mon/alert.d/mail.alert
 *   type failure
 *   attempts 2
 *   next_attempt_wall_ms 1764000000000
 *   first_spooled_wall_ms 1763999990000
 *   arg mail.alert            (repeated: argv in order, argv[0] first)
 *   env MON_GROUP=web         (repeated: the environment, KEY=VALUE)
 *   stdin host1 down%0Adetail line%0A
 *   end
 *
 * Every key but arg and env exactly once, no unknown key, "end" last: a
 * file cut short by anything but our atomic rename is detected.
 */
#ifndef MOND_SPOOL_H
#define MOND_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define SPOOL_FORMAT_VERSION 1
#define SPOOL_FILE_MAX ((size_t)1024 * 1024)    /* larger is corrupt */
#define SPOOL_LIST_MAX 4096                     /* args, env entries */
#define SPOOL_DIR "spool"
#define SPOOL_CORRUPT_DIR "corrupt"

/* One spooled alert.  Owns every string (spool_record_fini()). */
struct spool_record {
    char *id;                   /* set by spool_put() / spool_load_all() */
    char *group, *service;
    char *program;              /* path of the alert program */
    char **argv;                /* argc strings; argv[0] as it is run */
    size_t argc;
    char **env;                 /* envc "KEY=VALUE" strings */
    size_t envc;
    char *stdin_text;           /* summary line, then detail */
    char *type;                 /* "failure", "up", "startup", "trap"... */
    unsigned attempts;          /* attempts made so far */
    int64_t next_attempt_wall_ms;
    int64_t first_spooled_wall_ms;
};

struct spool;                   /* opaque; spool_close() frees */

void spool_record_init(struct spool_record *r);
void spool_record_fini(struct spool_record *r);
void spool_records_free(struct spool_record *recs, size_t n);

/* Open STATEDIR/spool, creating it and spool/corrupt (mode 0700) when
 * missing.  NULL with a diag (and errno) when it cannot. */
struct spool *spool_open(const char *statedir, struct diag_list *dl);
void spool_close(struct spool *sp);
const char *spool_dir(const struct spool *sp);

/* Durably write a new record (rec->id is ignored; a first_spooled_wall_ms
 * of 0 is replaced by the current time).  Returns the new id (caller
 * frees), or NULL with a diag naming the failed step. */
char *spool_put(struct spool *sp, const struct spool_record *rec,
                struct diag_list *dl);

/* The alert was delivered: remove its file durably.  0, or -1 + errno
 * (ENOENT when there is no such id) with a diag. */
int spool_done(struct spool *sp, const char *id, struct diag_list *dl);

/* Rewrite the record with a new attempt count and next attempt time
 * (atomic).  0, or -1 + errno (ENOENT no such id, EBADMSG unreadable
 * file, else the failed write's) with a diag. */
int spool_reschedule(struct spool *sp, const char *id, unsigned attempts,
                     int64_t next_attempt_wall_ms, struct diag_list *dl);

/* Load every spooled alert, sorted by next attempt, then id.  A file
 * that cannot be parsed is moved to spool/corrupt/ and reported as a
 * warning "spool/ID:LINE: ..."; stale temp files of an interrupted write
 * are removed.  *out (caller frees with spool_records_free) and *n are
 * set even when some files were corrupt.  -1 only when the directory
 * cannot be read. */
int spool_load_all(struct spool *sp, struct spool_record **out, size_t *n,
                   struct diag_list *dl);

/* Pure: the file text of a record (caller frees). */
char *spool_encode(const struct spool_record *rec);

/* Pure: parse len bytes of file text into *rec (initialised here).
 * 0, or -1 with *line (1-based, 0 = whole file) and err filled. */
int spool_decode(const char *text, size_t len, struct spool_record *rec,
                 int *line, char *err, size_t errlen);

/* Pure: delay before retry number attempt (1 = first retry):
 * base_ms * 2^(attempt-1), at most cap_ms; 0 for attempt 0. */
int64_t spool_backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms);

/* True for a well-formed id (digits and '-', no path characters). */
bool spool_id_valid(const char *id);

#endif
