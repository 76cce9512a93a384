/*
 * parse_yaml.c — the YAML front-end (mond.yaml) of the config model.
 *
 * The YAML document is read into a positioned tree (yamltree.c), its
 * shape checked here (unknown keys, wrong types: errors naming the key
 * path, e.g. "watch.mail.services.smtp.interval"), and every setting is
 * then handed to the mon.cf parser as the logical line mon.cf would have
 * ("interval 5m"), each character carrying the YAML position it came
 * from.  So both front-ends share one implementation of every keyword's
 * meaning and checks, the models they build are identical by
 * construction, and a bad value is still reported at its place in the
 * YAML file.
 *
 * Schema (README "YAML configuration" has the full reference):
 *
 *   globals:    { mon.cf global: value, ... }
 *   hostgroups: { NAME: [host, ...] | "host host" }
 *   views:      { NAME: [hostgroup, ...] }
 *   aliases:    { NAME: [line, ...] }
 *   watch:
 *     NAME:
 *       services:
 *         SERVICE:
 *           interval: 5m
 *           monitor: "smtp.monitor -t 10"     (or a list of words)
 *           env: { VAR: value }
 *           exclude_hosts: [host, ...]
 *           ...every other service keyword of mon.cf...
 *           periods:
 *             - when: "wd {Mon-Fri}"          (the period spec)
 *               label: office                 (optional)
 *               alertevery: 1h | "1h observe_detail"
 *               alertafter: 3 | "3 30m" | 30m
 *               alerts:
 *                 - mail.alert ops@example.org          (an "alert")
 *                 - { upalert: mail.alert ops@example.org }
 *                 - { alert: page.alert 555, exit: 2-3 }
 */
#include "parse_yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moncf_read.h"
#include "parse_moncf.h"
#include "xalloc.h"
#include "yamltree.h"

struct ystate {
    const char *file;
    struct diag_list *errs;
    struct moncf_parser *mp;
    struct moncf_line l;
    char path[512];             /* key path of the node being read */
};

static void yerr(struct ystate *ys, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
yerr(struct ystate *ys, const struct ynode *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    diag_add(ys->errs, DIAG_ERROR, ys->file, n ? n->line : 0, n ? n->col : 0,
             "%s%s%s", ys->path, ys->path[0] ? ": " : "", msg);
    free(msg);
}

static const char *
kind_name(const struct ynode *n)
{
    switch (n->kind) {
    case YNODE_SCALAR:   return "a value";
    case YNODE_SEQUENCE: return "a list";
    default:             return "a mapping";
    }
}

/* Key path handling: push ".key" (or "[idx]" when key is NULL), pop
 * back to the returned length. */
static size_t
path_push(struct ystate *ys, const char *key, size_t idx)
{
    size_t len = strlen(ys->path);
    if (key != NULL)
        snprintf(ys->path + len, sizeof(ys->path) - len, "%s%s",
                 len ? "." : "", key);
    else
        snprintf(ys->path + len, sizeof(ys->path) - len, "[%zu]", idx);
    return len;
}

static void
path_pop(struct ystate *ys, size_t len)
{
    ys->path[len] = '\0';
}

/* ---- building mon.cf logical lines ------------------------------------ */

static void
line_reset(struct ystate *ys)
{
    ys->l.len = 0;
    if (ys->l.s != NULL)
        ys->l.s[0] = '\0';
}

/* Append n bytes; byte i is placed at (line, col + i) when step, else
 * at (line, col) for all of them. */
static void
line_add(struct ystate *ys, const char *s, size_t n, int line, int col,
         bool step)
{
    struct moncf_line *l = &ys->l;
    size_t cap = l->cap;
    xgrow((void **)&l->s, &l->cap, l->len + n + 1, 1);
    if (l->cap != cap || l->ln == NULL) {
        l->ln = xrealloc(l->ln, l->cap * sizeof(int));
        l->col = xrealloc(l->col, l->cap * sizeof(int));
    }
    for (size_t i = 0; i < n; i++) {
        l->s[l->len] = s[i];
        l->ln[l->len] = line;
        l->col[l->len] = step ? col + (int)i : col;
        l->len++;
    }
    l->s[l->len] = '\0';
    if (l->line == 0 || l->len == n)
        l->line = line;
}

/* Synthesized text placed at node n's position. */
static void
line_text(struct ystate *ys, const struct ynode *n, const char *s)
{
    line_add(ys, s, strlen(s), n->line, n->col, false);
}

/* A scalar's text: positions step along a scalar written verbatim on one
 * line, else they all point at the scalar's start. */
static void
line_scalar(struct ystate *ys, const struct ynode *n)
{
    line_add(ys, n->scalar, strlen(n->scalar), n->line, n->col, n->verbatim);
}

static void
line_feed(struct ystate *ys)
{
    /* mon.cf trims its logical lines at the end: so do we, so that both
     * front-ends give one model. */
    while (ys->l.len > 0 && (ys->l.s[ys->l.len - 1] == ' ' ||
                             ys->l.s[ys->l.len - 1] == '\t'))
        ys->l.s[--ys->l.len] = '\0';
    moncf_parser_feed(ys->mp, &ys->l, ys->path);
    line_reset(ys);
}

static void
line_blank(struct ystate *ys, const struct ynode *at)
{
    line_reset(ys);
    ys->l.line = at ? at->line : 0;
    moncf_parser_feed(ys->mp, &ys->l, ys->path);
}

/* ---- value checks ----------------------------------------------------- */

static bool
want_scalar(struct ystate *ys, const struct ynode *n, const char *what)
{
    if (n != NULL && n->kind == YNODE_SCALAR) {
        if (strchr(n->scalar, '\n') || strchr(n->scalar, '\r')) {
            yerr(ys, n, "found a value of several lines, expected %s on "
                 "one line", what);
            return false;
        }
        return true;
    }
    yerr(ys, n, "found %s, expected %s", n ? kind_name(n) : "nothing", what);
    return false;
}

static bool
want_kind(struct ystate *ys, const struct ynode *n, enum ynode_kind k,
          const char *what)
{
    if (n != NULL && n->kind == k)
        return true;
    yerr(ys, n, "found %s, expected %s", n ? kind_name(n) : "nothing", what);
    return false;
}

/* YAML booleans (1.1 and 1.2 spellings); -1 if not one. */
static int
scalar_bool(const struct ynode *n)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
                                      "YES", "on", "On", "ON", "y", "Y"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No",
                                     "NO", "off", "Off", "OFF", "n", "N"};
    if (n == NULL || n->kind != YNODE_SCALAR)
        return -1;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcmp(n->scalar, yes[i]) == 0)
            return 1;
        if (strcmp(n->scalar, no[i]) == 0)
            return 0;
    }
    return -1;
}

/* Does a word need quoting to survive mon.cf's shell-like splitting? */
static bool
word_needs_quote(const char *s)
{
    if (*s == '\0')
        return true;
    for (; *s; s++)
        if (*s == ' ' || *s == '\t' || *s == '\'' || *s == '"' || *s == '\\'
            || *s == '#')
            return true;
    return false;
}

/* Append a list of words (monitor, alerts) so that mon.cf's quotewords
 * gives back exactly these words. */
static void
line_words(struct ystate *ys, const struct ynode *seq)
{
    for (size_t i = 0; i < seq->nitems; i++) {
        const struct ynode *w = seq->items[i];
        size_t save = path_push(ys, NULL, i);
        if (want_scalar(ys, w, "a word")) {
            if (i > 0)
                line_text(ys, w, " ");
            if (!word_needs_quote(w->scalar) ||
                (i + 1 == seq->nitems && strcmp(w->scalar, ";;") == 0)) {
                line_scalar(ys, w);
            } else {
                /* Single quotes keep everything but a single quote, which
                 * closes, escapes and reopens: 'it'\''s'. */
                line_text(ys, w, "'");
                for (const char *p = w->scalar; *p; p++) {
                    if (*p == '\'')
                        line_text(ys, w, "'\\''");
                    else
                        line_add(ys, p, 1, w->line, w->col, false);
                }
                line_text(ys, w, "'");
            }
        }
        path_pop(ys, save);
    }
}

/* A command: a string as in mon.cf, or a list of words. */
static void
line_command(struct ystate *ys, const struct ynode *v)
{
    if (v->kind == YNODE_SEQUENCE)
        line_words(ys, v);
    else if (want_scalar(ys, v, "a command line or a list of words"))
        line_scalar(ys, v);
}

/* A list of plain words (hosts, groups): a list or a blank-separated
 * string. */
static void
line_list(struct ystate *ys, const struct ynode *v, const char *what)
{
    if (v->kind == YNODE_SEQUENCE) {
        for (size_t i = 0; i < v->nitems; i++) {
            size_t save = path_push(ys, NULL, i);
            if (want_scalar(ys, v->items[i], what)) {
                line_text(ys, v->items[i], " ");
                line_scalar(ys, v->items[i]);
            }
            path_pop(ys, save);
        }
    } else if (!ynode_is_null(v) && want_scalar(ys, v, what)) {
        line_text(ys, v, " ");
        line_scalar(ys, v);
    }
}

/* "keyword value" with value a scalar (booleans as yes/no). */
static void
line_kv(struct ystate *ys, const struct ynode *k, const struct ynode *v,
        const char *kw, const char *sep)
{
    line_text(ys, k, kw);
    line_text(ys, k, sep);
    if (!want_scalar(ys, v, "a value"))
        return;
    int b = v->plain ? scalar_bool(v) : -1;
    if (b >= 0)
        line_text(ys, v, b ? "yes" : "no");
    else
        line_scalar(ys, v);
}

/* ---- sections --------------------------------------------------------- */

static void
read_globals(struct ystate *ys, const struct ynode *map)
{
    if (!want_kind(ys, map, YNODE_MAPPING, "a mapping of global variables"))
        return;
    for (size_t i = 0; i < map->npairs; i++) {
        const struct ypair *p = &map->pairs[i];
        size_t save = path_push(ys, p->key->scalar, 0);
        line_kv(ys, p->key, p->value, p->key->scalar, " = ");
        line_feed(ys);
        path_pop(ys, save);
    }
    line_blank(ys, map);
}

/* hostgroups / views / aliases: NAME -> list. */
static void
read_blocks(struct ystate *ys, const struct ynode *map, const char *kw,
            const char *what)
{
    if (!want_kind(ys, map, YNODE_MAPPING, "a mapping of names to lists"))
        return;
    for (size_t i = 0; i < map->npairs; i++) {
        const struct ypair *p = &map->pairs[i];
        size_t save = path_push(ys, p->key->scalar, 0);
        line_text(ys, p->key, kw);
        line_text(ys, p->key, " ");
        line_scalar(ys, p->key);
        if (strcmp(kw, "alias") == 0) {
            line_feed(ys);
            if (want_kind(ys, p->value, YNODE_SEQUENCE, "a list of lines"))
                for (size_t j = 0; j < p->value->nitems; j++) {
                    const struct ynode *it = p->value->items[j];
                    size_t s2 = path_push(ys, NULL, j);
                    if (want_scalar(ys, it, "a line of text") &&
                        it->scalar[0] != '\0') {
                        line_scalar(ys, it);
                        line_feed(ys);
                    }
                    path_pop(ys, s2);
                }
        } else {
            line_list(ys, p->value, what);
            line_feed(ys);
        }
        line_blank(ys, p->key);
        path_pop(ys, save);
    }
}

/* Keywords of a service or a period whose YAML value is a scalar passed
 * on as it is ("interval: 5m" -> "interval 5m"). */
static const char *const svc_scalar_kw[] = {
    "interval", "failure_interval", "randskew", "traptimeout",
    "trapduration", "dep_memory", "monitor_timeout", "description",
    "dep_behavior", "depend", "alertdepend", "monitordepend", "hostdepend",
    "exclude_period",
};
static const char *const per_scalar_kw[] = {
    "alertevery", "alertafter", "numalerts", "upalertafter",
    "alertexitrange",
};
/* Keywords that are flags: true -> the bare keyword, false -> nothing. */
static const char *const svc_flag_kw[] = { "allow_empty_group" };
static const char *const per_flag_kw[] = { "no_comp_alerts",
                                           "alerts_dont_count" };
static const char *const alert_kinds[] = { "alert", "upalert",
                                           "startupalert", "ackalert",
                                           "disablealert" };

static bool
in_list(const char *s, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, v[i]) == 0)
            return true;
    return false;
}
#define IN(s, v) in_list((s), (v), sizeof(v) / sizeof((v)[0]))

static void
read_flag(struct ystate *ys, const struct ynode *k, const struct ynode *v)
{
    int b = scalar_bool(v);
    if (b < 0) {
        yerr(ys, v, "found \"%s\", expected true or false",
             v->kind == YNODE_SCALAR ? v->scalar : kind_name(v));
        return;
    }
    if (b) {
        line_text(ys, k, k->scalar);
        line_feed(ys);
    }
}

static void
read_alert(struct ystate *ys, const struct ynode *it)
{
    if (it->kind == YNODE_SEQUENCE) {       /* a list of words */
        line_text(ys, it, "alert ");
        line_words(ys, it);
        line_feed(ys);
        return;
    }
    if (it->kind == YNODE_SCALAR) {
        if (!want_scalar(ys, it, "an alert command"))
            return;
        line_text(ys, it, "alert ");
        line_scalar(ys, it);
        line_feed(ys);
        return;
    }
    if (!want_kind(ys, it, YNODE_MAPPING,
                   "an alert command or a mapping like {upalert: mail.alert "
                   "root}"))
        return;
    const struct ypair *cmd = NULL;
    const struct ynode *exitv = NULL;
    for (size_t i = 0; i < it->npairs; i++) {
        const struct ypair *p = &it->pairs[i];
        if (IN(p->key->scalar, alert_kinds)) {
            if (cmd != NULL) {
                size_t save = path_push(ys, p->key->scalar, 0);
                yerr(ys, p->key, "found a second alert command (%s after %s), "
                     "expected one per list item", p->key->scalar,
                     cmd->key->scalar);
                path_pop(ys, save);
            }
            cmd = p;
        } else if (strcmp(p->key->scalar, "exit") == 0) {
            exitv = p->value;
        } else {
            size_t save = path_push(ys, p->key->scalar, 0);
            yerr(ys, p->key, "unknown key \"%s\", expected alert, upalert, "
                 "startupalert, ackalert, disablealert or exit",
                 p->key->scalar);
            path_pop(ys, save);
        }
    }
    if (cmd == NULL) {
        yerr(ys, it, "expected one of alert, upalert, startupalert, ackalert, "
             "disablealert");
        return;
    }
    size_t save = path_push(ys, cmd->key->scalar, 0);
    line_text(ys, cmd->key, cmd->key->scalar);
    line_text(ys, cmd->key, " ");
    if (exitv != NULL) {
        size_t s2 = path_push(ys, "exit", 0);
        if (want_scalar(ys, exitv, "an exit range such as 2 or 2-3")) {
            line_text(ys, exitv, "exit=");
            line_scalar(ys, exitv);
            line_text(ys, exitv, " ");
        }
        path_pop(ys, s2);
    }
    line_command(ys, cmd->value);
    line_feed(ys);
    path_pop(ys, save);
}

static void
read_period(struct ystate *ys, const struct ynode *per)
{
    if (!want_kind(ys, per, YNODE_MAPPING,
                   "a period mapping (when:, alerts:, ...)"))
        return;
    const struct ynode *when = ynode_get(per, "when");
    const struct ynode *label = ynode_get(per, "label");
    /* The period line first: "period [label:] spec". */
    line_text(ys, per, "period ");
    if (label != NULL) {
        size_t save = path_push(ys, "label", 0);
        if (want_scalar(ys, label, "a period label")) {
            line_scalar(ys, label);
            line_text(ys, label, ": ");
        }
        path_pop(ys, save);
    }
    /* The period line's errors are about its spec: name "when". */
    size_t wsave = path_push(ys, "when", 0);
    if (when != NULL && !ynode_is_null(when) &&
        want_scalar(ys, when, "a period spec"))
        line_scalar(ys, when);
    line_feed(ys);
    path_pop(ys, wsave);
    for (size_t i = 0; i < per->npairs; i++) {
        const struct ypair *p = &per->pairs[i];
        const char *k = p->key->scalar;
        size_t save = path_push(ys, k, 0);
        if (strcmp(k, "when") == 0 || strcmp(k, "label") == 0) {
            /* done above */
        } else if (IN(k, per_scalar_kw)) {
            line_kv(ys, p->key, p->value, k, " ");
            line_feed(ys);
        } else if (IN(k, per_flag_kw)) {
            read_flag(ys, p->key, p->value);
        } else if (strcmp(k, "alerts") == 0) {
            if (want_kind(ys, p->value, YNODE_SEQUENCE, "a list of alerts"))
                for (size_t j = 0; j < p->value->nitems; j++) {
                    size_t s2 = path_push(ys, NULL, j);
                    read_alert(ys, p->value->items[j]);
                    path_pop(ys, s2);
                }
        } else {
            yerr(ys, p->key, "unknown key \"%s\" in a period (expected when, "
                 "label, alerts, alertevery, alertafter, numalerts, "
                 "upalertafter, no_comp_alerts, alertexitrange, "
                 "alerts_dont_count)", k);
        }
        path_pop(ys, save);
    }
}

static void
read_service(struct ystate *ys, const struct ypair *sp)
{
    const struct ynode *svc = sp->value;
    line_text(ys, sp->key, "service ");
    line_scalar(ys, sp->key);
    line_feed(ys);
    if (ynode_is_null(svc))
        return;
    if (!want_kind(ys, svc, YNODE_MAPPING, "a service mapping"))
        return;
    const struct ynode *periods = NULL;
    for (size_t i = 0; i < svc->npairs; i++) {
        const struct ypair *p = &svc->pairs[i];
        const char *k = p->key->scalar;
        size_t save = path_push(ys, k, 0);
        if (IN(k, svc_scalar_kw)) {
            line_kv(ys, p->key, p->value, k, " ");
            line_feed(ys);
        } else if (IN(k, svc_flag_kw)) {
            read_flag(ys, p->key, p->value);
        } else if (strcmp(k, "unack_summary") == 0) {
            line_kv(ys, p->key, p->value, k, " ");
            line_feed(ys);
        } else if (strcmp(k, "monitor") == 0 || strcmp(k, "redistribute") == 0) {
            line_text(ys, p->key, k);
            line_text(ys, p->key, " ");
            line_command(ys, p->value);
            line_feed(ys);
        } else if (strcmp(k, "exclude_hosts") == 0) {
            line_text(ys, p->key, k);
            line_list(ys, p->value, "a host name");
            line_feed(ys);
        } else if (strcmp(k, "env") == 0) {
            if (want_kind(ys, p->value, YNODE_MAPPING,
                          "a mapping of VARIABLE: value"))
                for (size_t j = 0; j < p->value->npairs; j++) {
                    const struct ypair *e = &p->value->pairs[j];
                    size_t s2 = path_push(ys, e->key->scalar, 0);
                    line_scalar(ys, e->key);
                    line_text(ys, e->key, "=");
                    if (want_scalar(ys, e->value, "a value") &&
                        !ynode_is_null(e->value))
                        line_scalar(ys, e->value);
                    line_feed(ys);
                    path_pop(ys, s2);
                }
        } else if (strcmp(k, "periods") == 0) {
            periods = p->value;
        } else {
            yerr(ys, p->key, "unknown key \"%s\" in a service", k);
        }
        path_pop(ys, save);
    }
    /* Periods last: in mon.cf a period block runs to the next service. */
    if (periods != NULL) {
        size_t save = path_push(ys, "periods", 0);
        if (want_kind(ys, periods, YNODE_SEQUENCE, "a list of periods"))
            for (size_t j = 0; j < periods->nitems; j++) {
                size_t s2 = path_push(ys, NULL, j);
                read_period(ys, periods->items[j]);
                path_pop(ys, s2);
            }
        path_pop(ys, save);
    }
}

static void
read_watches(struct ystate *ys, const struct ynode *map)
{
    if (!want_kind(ys, map, YNODE_MAPPING, "a mapping of watch groups"))
        return;
    for (size_t i = 0; i < map->npairs; i++) {
        const struct ypair *w = &map->pairs[i];
        size_t save = path_push(ys, w->key->scalar, 0);
        line_text(ys, w->key, "watch ");
        line_scalar(ys, w->key);
        line_feed(ys);
        if (want_kind(ys, w->value, YNODE_MAPPING,
                      "a watch mapping with \"services:\"")) {
            for (size_t j = 0; j < w->value->npairs; j++) {
                const struct ypair *p = &w->value->pairs[j];
                size_t s2 = path_push(ys, p->key->scalar, 0);
                if (strcmp(p->key->scalar, "services") != 0)
                    yerr(ys, p->key, "unknown key \"%s\" in a watch, expected "
                         "services", p->key->scalar);
                else if (want_kind(ys, p->value, YNODE_MAPPING,
                                   "a mapping of services"))
                    for (size_t k = 0; k < p->value->npairs; k++) {
                        size_t s3 = path_push(ys, p->value->pairs[k].key->scalar,
                                              0);
                        read_service(ys, &p->value->pairs[k]);
                        path_pop(ys, s3);
                    }
                path_pop(ys, s2);
            }
        }
        line_blank(ys, w->key);
        path_pop(ys, save);
    }
}

/* The model from a loaded tree (path names it in messages); frees the
 * tree. */
static struct config *
from_tree(const char *path, struct ytree *tp, struct diag_list *errs)
{
    struct ytree t = *tp;
    struct ystate ys;
    memset(&ys, 0, sizeof(ys));
    ys.file = path;
    ys.errs = errs;
    ys.mp = moncf_parser_new(path, errs);
    moncf_line_init(&ys.l);

    const struct ynode *root = t.root;
    if (root != NULL && !ynode_is_null(root)) {
        if (want_kind(&ys, root, YNODE_MAPPING,
                      "a mapping with globals, hostgroups, views, aliases "
                      "and watch")) {
            /* Sections in mon.cf's order, whatever their order in YAML. */
            static const char *const order[] = {
                "globals", "hostgroups", "views", "aliases", "watch",
            };
            for (size_t i = 0; i < root->npairs; i++)
                if (!IN(root->pairs[i].key->scalar, order))
                    yerr(&ys, root->pairs[i].key, "unknown top-level key "
                         "\"%s\", expected globals, hostgroups, views, "
                         "aliases or watch", root->pairs[i].key->scalar);
            for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
                const struct ynode *v = ynode_get(root, order[i]);
                if (v == NULL || ynode_is_null(v))
                    continue;
                size_t save = path_push(&ys, order[i], 0);
                switch (i) {
                case 0: read_globals(&ys, v); break;
                case 1: read_blocks(&ys, v, "hostgroup", "a host name"); break;
                case 2: read_blocks(&ys, v, "view", "a hostgroup name"); break;
                case 3: read_blocks(&ys, v, "alias", "a line"); break;
                default: read_watches(&ys, v); break;
                }
                path_pop(&ys, save);
            }
        }
    }
    struct config *cfg = moncf_parser_finish(ys.mp);
    moncf_line_fini(&ys.l);
    yamltree_free(&t);
    return cfg;
}

struct config *
parse_yaml(const char *path, struct diag_list *errs)
{
    struct ytree t;
    if (yamltree_load(path, &t, errs) < 0)
        return NULL;
    return from_tree(path, &t, errs);
}

struct config *
parse_yaml_buffer(const char *name, const char *text, size_t len,
                  struct diag_list *errs)
{
    struct ytree t;
    if (yamltree_load_string(name, text, len, &t, errs) < 0)
        return NULL;
    return from_tree(name, &t, errs);
}
