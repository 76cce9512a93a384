/*
 * notify.h — the alerts mon runs outside its failure/recovery logic:
 * ackalert (a service is acknowledged), disablealert (a service is
 * disabled) and the client command "test alert|upalert|startupalert|
 * ackalert|disablealert GROUP SERVICE RETVAL PERIOD".
 *
 * Pure, like decide.c: a service's config, its state and the time in,
 * the alert lines to start out.  mon 1.3's code is the reference
 * (do_alert() with FL_ACKALERT / FL_DISABLEALERT, call_alert(), the
 * "test" branch of client_command()); svctab_alert.c starts what is
 * chosen here.
 */
#ifndef MOND_NOTIFY_H
#define MOND_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "decide.h"

enum notify_kind {
    NOTIFY_ALERT = 0,           /* alert lines (test only) */
    NOTIFY_UPALERT,             /* upalert lines (test only) */
    NOTIFY_STARTUP,             /* startupalert lines (test only) */
    NOTIFY_ACK,                 /* ackalert lines: "-a" */
    NOTIFY_DISABLE,             /* disablealert lines: "-D" */
    NOTIFY_NONE,                /* a "test" word mon accepts but that
                                 * selects no alert list */
};

/* One alert line to start. */
struct notify_pick {
    size_t period;              /* index into service->periods */
    const struct alert_def *alert;  /* borrowed from the config */
};

struct notify_list {
    struct notify_pick *v;
    size_t n, cap;
};

void notify_list_init(struct notify_list *l);
void notify_list_fini(struct notify_list *l);

/* mon's test regex /^alert|startupalert|upalert|ackalert|disablealert$/
 * (anchors bind to the first and last alternative only).  true when word
 * matches; *kind is then the alert list mon picks (NOTIFY_NONE for words
 * like "alerts" that match but name no list: mon answers 220 and runs
 * nothing). */
bool notify_test_kind(const char *word, enum notify_kind *kind);

/* The period whose key is name: its label ("period LABEL: spec"), else
 * its spec as written; -1 when none. */
long notify_find_period(const struct service *svc, const char *name);

/* Every alert line of kind in period p, exit= ranges ignored (mon's
 * test strips "exit=..." and calls each).  Appends to out. */
void notify_test_picks(const struct service *svc, size_t p,
                       enum notify_kind kind, struct notify_list *out);

/* mon's do_alert() for NOTIFY_ACK / NOTIFY_DISABLE at f->now_wall_ms:
 * nothing when the watch is disabled or (ack only) the service is;
 * nothing while alert dependencies fail (f->deps_ok false); per period
 * that matches now: ackalerts only after a down alert of that period
 * unless no_comp_alerts; an "exit=" range is matched against exit 0 (mon
 * passes no retval).  Each period that gets an alert counts it as mon
 * does (alerts_sent + 1, last alert = now) and st->alert_count grows by
 * the number of lines.  Appends to out.
 *
 * mon 1.3 checks the disabled flag it has just set, so its
 * disablealerts never run; mond runs them (the keyword's evident
 * purpose). */
void notify_decide(const struct service *svc, struct svc_state *st,
                   enum notify_kind kind, const struct decide_facts *f,
                   struct notify_list *out);

/* MON_ALERTTYPE ("failure", "up", "startup", "ack", "disable"; "test"
 * for a tested plain alert), the flag ("-u", "-a", "-D" or NULL) and the
 * word of log and history lines ("alert", "upalert", "startupalert",
 * "ackalert", "disablealert"; "testalert" for a tested plain alert). */
const char *notify_type_name(enum notify_kind kind, bool test);
const char *notify_flag(enum notify_kind kind);
const char *notify_history_type(enum notify_kind kind, bool test);

#endif
