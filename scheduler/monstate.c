/*
 * monstate.c — mon's statedir/disabled and statedir/opstatus (see
 * monstate.h).
 *
 * The field list of an opstatus line is mon 1.3's save_state() list, in
 * its order, so a file written here is read by mon's load_state() and
 * the other way round.  Fields mond does not keep (first_success,
 * last_failure_time, last_failure_summary, last_failure_detail,
 * trap_timer, a period's 1stfailtime and failcount as alertafter state)
 * are written empty or from the nearest thing mond has and ignored when
 * read: mond's own state file (statefile.h) carries them exactly.
 */
#include "monstate.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "log.h"
#include "srv_state.h"
#include "svctab.h"
#include "xalloc.h"

unsigned
monstate_type(const char *word)
{
    if (strcmp(word, "disabled") == 0)
        return MONSTATE_DISABLED;
    if (strcmp(word, "opstatus") == 0)
        return MONSTATE_OPSTATUS;
    if (strcmp(word, "all") == 0)
        return MONSTATE_ALL;
    return 0;
}

char *
monstate_escape(const char *s)
{
    size_t n = 0;
    char *out, *o;

    if (s == NULL)
        return xstrdup("");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p <= 32 || *p > 126 || *p == '"' || *p == '\'' ||
              *p == '=' || *p == '\\') ? 3 : 1;
    out = o = xmalloc(n + 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= 32 || *p > 126 || *p == '"' || *p == '\'' || *p == '=' ||
            *p == '\\') {
            static const char hex[] = "0123456789abcdef";

            *o++ = '\\';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        } else {
            *o++ = (char)*p;
        }
    }
    *o = '\0';
    return out;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;                  /* mon's pattern is [0-9a-f] only */
}

char *
monstate_unescape(const char *s)
{
    char *out = xstrdup(s), *o = out;

    for (const char *p = s; *p;) {
        if (p[0] == '\\' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            *o++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 3;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

/* Append "\tkey=escaped(value)" to fp. */
static void
put_str(FILE *fp, const char *key, const char *value)
{
    char *e = monstate_escape(value);

    fprintf(fp, "\t%s=%s", key, e);
    free(e);
}

static void
put_secs(FILE *fp, const char *key, int64_t wall_ms)
{
    fprintf(fp, "\t%s=%" PRId64, key, wall_ms / 1000);
}

/* A period's key in the file: mon keys periods by label, or by the spec
 * as written when there is none. */
static const char *
period_key(const struct period_def *pd)
{
    return pd->label != NULL ? pd->label : (pd->spec != NULL ? pd->spec : "");
}

char *
monstate_opstatus_line(const struct service *svc, const struct svc_state *st,
                       int64_t ack_wall_ms, const char *traphost)
{
    char *buf = NULL, *fo = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);

    if (fp == NULL)
        fatal("open_memstream");
    /* mon writes group and service unescaped */
    fprintf(fp, "group=%s\tservice=%s", svc->watch->name, svc->name);
    fprintf(fp, "\top_status=%d", (int)st->opstatus);
    fprintf(fp, "\tfailure_count=%" PRIu64, st->failure_count);
    fprintf(fp, "\talert_count=%" PRIu64, st->alert_count);
    put_secs(fp, "last_success", st->last_success_wall_ms);
    put_str(fp, "first_success", NULL);
    fprintf(fp, "\tconsec_failures=%d", st->consecutive_failures);
    put_secs(fp, "last_failure", st->last_failure_wall_ms);
    put_secs(fp, "first_failure", st->first_failure_wall_ms);
    put_str(fp, "last_summary", st->last_summary);
    put_str(fp, "last_failure_time", NULL);
    put_str(fp, "last_failure_summary", NULL);
    put_str(fp, "last_failure_detail", NULL);
    put_str(fp, "last_detail", st->last_detail);
    if (st->acked)
        put_secs(fp, "ack", ack_wall_ms > 1000 ? ack_wall_ms : 1000);
    else
        fprintf(fp, "\tack=0");
    put_str(fp, "ack_comment", st->acked ? st->ack_comment : NULL);
    put_secs(fp, "last_trap", st->last_trap_wall_ms);
    put_str(fp, "last_traphost", traphost);
    fprintf(fp, "\texitval=%d", st->last_retval);
    put_secs(fp, "last_check", st->last_check_wall_ms);
    fprintf(fp, "\tlast_op_status=%d", (int)st->last_opstatus);
    /* mon's _failure_output is the whole output: summary line, detail */
    if (st->failure_summary != NULL)
        fo = st->failure_detail != NULL && st->failure_detail[0] != '\0'
             ? xasprintf("%s\n%s", st->failure_summary, st->failure_detail)
             : xstrdup(st->failure_summary);
    put_str(fp, "failure_output", fo);
    free(fo);
    put_str(fp, "trap_timer", NULL);
    for (size_t p = 0; p < svc->nperiods && p < st->nperiods; p++) {
        const char *k = period_key(&svc->periods[p]);
        const struct period_state *ps = &st->periods[p];

        fprintf(fp, "\t%s:last_alert=%" PRId64, k,
                ps->last_alert_wall_ms / 1000);
        fprintf(fp, "\t%s:alert_sent=%d", k, ps->alerts_sent);
        fprintf(fp, "\t%s:1stfailtime=%" PRId64, k,
                ps->nfail_times > 0 ? ps->fail_times_ms[0] / 1000 : 0);
        fprintf(fp, "\t%s:failcount=%d", k, ps->nfail_times);
    }
    if (fclose(fp) != 0)
        fatal("open_memstream");
    return buf;
}

int
monstate_opstatus_parse(char *line, struct monstate_rec *rec)
{
    char *save = NULL;

    rec->group = rec->service = NULL;
    rec->n = 0;
    for (char *t = strtok_r(line, "\t", &save); t != NULL;
         t = strtok_r(NULL, "\t", &save)) {
        /* mon: /^(.*)=(.*)$/ takes the key up to the last '=' */
        char *eq = strrchr(t, '=');

        if (eq == NULL)
            continue;
        *eq = '\0';
        if (strcmp(t, "group") == 0) {
            rec->group = eq + 1;
        } else if (strcmp(t, "service") == 0) {
            rec->service = eq + 1;
        } else if (rec->n < MONSTATE_FIELDS_MAX) {
            rec->f[rec->n].key = t;
            rec->f[rec->n].value = eq + 1;
            rec->n++;
        }
    }
    return rec->group != NULL && rec->service != NULL ? 0 : -1;
}

static int64_t
num(const char *v)
{
    return strtoll(v, NULL, 10);    /* mon's numeric context: "" is 0 */
}

static void
set_str(char **dst, const char *escaped)
{
    svc_str_free(*dst);
    *dst = monstate_unescape(escaped);
}

/* A per-period field "LABEL:var" (split at the last ':', as mon). */
static void
apply_period(const char *key, const char *value, const struct service *svc,
             struct svc_state *st)
{
    const char *colon = strrchr(key, ':');
    size_t ll;

    if (colon == NULL)
        return;
    ll = (size_t)(colon - key);
    for (size_t p = 0; p < svc->nperiods && p < st->nperiods; p++) {
        const char *k = period_key(&svc->periods[p]);
        struct period_state *ps = &st->periods[p];

        if (strlen(k) != ll || strncmp(k, key, ll) != 0)
            continue;
        if (strcmp(colon + 1, "last_alert") == 0) {
            ps->last_alert_wall_ms = num(value) * 1000;
        } else if (strcmp(colon + 1, "alert_sent") == 0) {
            ps->alerts_sent = (int)num(value);
            ps->down_alert_sent = ps->alerts_sent > 0;
        }
        return;
    }
}

void
monstate_opstatus_apply(const struct monstate_rec *rec,
                        const struct service *svc, struct svc_state *st,
                        int64_t *ack_wall_ms, char **traphost)
{
    *ack_wall_ms = 0;
    if (traphost != NULL)
        *traphost = NULL;
    for (size_t i = 0; i < rec->n; i++) {
        const char *k = rec->f[i].key, *v = rec->f[i].value;

        if (strcmp(k, "op_status") == 0) {
            int64_t o = num(v);

            if (v[0] != '\0' && o >= OPSTATUS_FAIL && o <= OPSTATUS_WARN)
                st->opstatus = (enum opstatus)o;
        } else if (strcmp(k, "last_op_status") == 0) {
            int64_t o = num(v);

            if (v[0] != '\0' && o >= OPSTATUS_FAIL && o <= OPSTATUS_WARN)
                st->last_opstatus = (enum opstatus)o;
        } else if (strcmp(k, "failure_count") == 0) {
            st->failure_count = (uint64_t)num(v);
        } else if (strcmp(k, "alert_count") == 0) {
            st->alert_count = (uint64_t)num(v);
        } else if (strcmp(k, "consec_failures") == 0) {
            st->consecutive_failures = (int)num(v);
        } else if (strcmp(k, "last_success") == 0) {
            st->last_success_wall_ms = num(v) * 1000;
        } else if (strcmp(k, "last_failure") == 0) {
            st->last_failure_wall_ms = num(v) * 1000;
        } else if (strcmp(k, "first_failure") == 0) {
            st->first_failure_wall_ms = num(v) * 1000;
        } else if (strcmp(k, "last_trap") == 0) {
            st->last_trap_wall_ms = num(v) * 1000;
        } else if (strcmp(k, "last_check") == 0) {
            st->last_check_wall_ms = num(v) * 1000;
        } else if (strcmp(k, "exitval") == 0) {
            st->last_retval = (int)num(v);
        } else if (strcmp(k, "last_summary") == 0) {
            set_str(&st->last_summary, v);
        } else if (strcmp(k, "last_detail") == 0) {
            set_str(&st->last_detail, v);
        } else if (strcmp(k, "ack") == 0) {
            int64_t a = num(v);

            st->acked = a != 0;
            *ack_wall_ms = a > 1 ? a * 1000 : 0;
        } else if (strcmp(k, "ack_comment") == 0) {
            set_str(&st->ack_comment, v);
        } else if (strcmp(k, "last_traphost") == 0 && traphost != NULL) {
            free(*traphost);
            *traphost = v[0] != '\0' ? monstate_unescape(v) : NULL;
        } else if (strcmp(k, "failure_output") == 0) {
            char *fo = monstate_unescape(v), *nl = strchr(fo, '\n');

            free(st->failure_summary);
            free(st->failure_detail);
            st->failure_summary = st->failure_detail = NULL;
            if (fo[0] != '\0') {
                if (nl != NULL)
                    *nl = '\0';
                st->failure_summary = xstrdup(fo);
                st->failure_detail = xstrdup(nl != NULL ? nl + 1 : "");
            }
            free(fo);
        } else if (strchr(k, ':') != NULL) {
            apply_period(k, v, svc, st);
        }
    }
    if (!st->acked) {
        free(st->ack_comment);
        st->ack_comment = NULL;
    }
}

/* ---- files and the table ---- */

size_t
monstate_set_host(struct svctab *tab, const char *h, bool disabled)
{
    const struct config *cf = svctab_config(tab);
    size_t found = 0;

    for (size_t g = 0; g < cf->ngroups; g++) {
        const struct hostgroup *hg = &cf->groups[g];
        bool in = false;

        for (size_t i = 0; i < hg->nhosts && !in; i++)
            in = strcmp(hg->hosts[i], h) == 0;
        if (!in)
            continue;
        found++;
        (void)svctab_set_host_disabled(tab, hg->name, h, disabled);
        if (hg->nhosts == 1 && config_find_watch(cf, hg->name) != NULL)
            (void)svctab_set_watch_disabled(tab, hg->name, disabled);
    }
    return found;
}

static int
write_file(const char *statedir, const char *name, const char *buf,
           size_t len)
{
    char *path = xasprintf("%s/%s", statedir, name);
    struct atomicfile_err err;
    int rc = atomicfile_write(path, buf, len, 0644, &err);

    if (rc != 0) {
        char msg[512];

        atomicfile_err_format(&err, path, msg, sizeof(msg));
        log_warnx("savestate: %s", msg);
    }
    free(path);
    return rc;
}

static int
save_disabled(struct svctab *tab, const char *statedir)
{
    const struct config *cf = svctab_config(tab);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    int rc;

    if (fp == NULL)
        fatal("open_memstream");
    for (size_t g = 0; g < cf->ngroups; g++)
        for (size_t h = 0; h < cf->groups[g].nhosts; h++)
            if (svctab_host_is_disabled(tab, cf->groups[g].name,
                                        cf->groups[g].hosts[h]))
                fprintf(fp, "disable host %s\n", cf->groups[g].hosts[h]);
    for (size_t w = 0; w < cf->nwatches; w++) {
        const struct watch *wt = &cf->watches[w];

        if (svctab_watch_is_disabled(tab, wt->name))
            fprintf(fp, "disable watch %s\n", wt->name);
        for (size_t k = 0; k < wt->nservices; k++) {
            long i = svctab_find(tab, wt->name, wt->services[k].name);

            if (i >= 0 && svctab_state_at(tab, (size_t)i)->disabled)
                fprintf(fp, "disable service %s %s\n", wt->name,
                        wt->services[k].name);
        }
    }
    if (fclose(fp) != 0)
        fatal("open_memstream");
    rc = write_file(statedir, "disabled", buf, len);
    free(buf);
    return rc;
}

static int
save_opstatus(struct svctab *tab, struct srv_state *ss, const char *statedir)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    int rc;

    if (fp == NULL)
        fatal("open_memstream");
    for (size_t i = 0; i < svctab_count(tab); i++) {
        const struct service *svc = svctab_service_at(tab, i);
        const char *g = svc->watch->name;
        const char *th = ss != NULL ? srv_state_trap_host(ss, g, svc->name)
                                    : NULL;
        char *l = monstate_opstatus_line(
            svc, svctab_state_at(tab, i),
            ss != NULL ? srv_state_ack_time(ss, g, svc->name) : 0,
            th != NULL && th[0] != '\0' ? th : NULL);

        fprintf(fp, "%s\n", l);
        free(l);
    }
    if (fclose(fp) != 0)
        fatal("open_memstream");
    rc = write_file(statedir, "opstatus", buf, len);
    free(buf);
    return rc;
}

int
monstate_save(struct svctab *tab, struct srv_state *ss, const char *statedir,
              unsigned types)
{
    int rc = 0;

    if (statedir == NULL) {
        log_warnx("savestate: no statedir");
        return -1;
    }
    if ((types & MONSTATE_DISABLED) && save_disabled(tab, statedir) != 0)
        rc = -1;
    if ((types & MONSTATE_OPSTATUS) && save_opstatus(tab, ss, statedir) != 0)
        rc = -1;
    return rc;
}

/* Split s at blanks into at most max words (in place); the last takes
 * the rest of the line, as Perl's split(/\s+/, $l, max). */
static size_t
split_words(char *s, char **w, size_t max)
{
    size_t n = 0;

    while (n < max) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0')
            break;
        w[n++] = s;
        if (n == max)
            break;
        while (*s != '\0' && *s != ' ' && *s != '\t')
            s++;
        if (*s == '\0')
            break;
        *s++ = '\0';
    }
    return n;
}

static void
load_disabled_line(struct svctab *tab, const char *path, int lineno,
                   char *l)
{
    char *f[3];
    size_t nf = split_words(l, f, 3);

    if (nf < 3 || strcmp(f[0], "disable") != 0)
        return;
    if (strcmp(f[1], "host") == 0) {
        if (monstate_set_host(tab, f[2], true) == 0)
            log_warnx("loadstate: %s:%d: undefined host %s", path, lineno,
                      f[2]);
    } else if (strcmp(f[1], "watch") == 0) {
        if (svctab_set_watch_disabled(tab, f[2], true) != 0)
            log_warnx("loadstate: %s:%d: undefined watch %s", path, lineno,
                      f[2]);
    } else if (strcmp(f[1], "service") == 0) {
        char *gs[2];

        if (split_words(f[2], gs, 2) != 2 ||
            svctab_set_service_disabled(tab, gs[0], gs[1], true) != 0)
            log_warnx("loadstate: %s:%d: undefined group or service", path,
                      lineno);
    }
}

static void
load_opstatus_line(struct svctab *tab, struct srv_state *ss, char *l)
{
    struct monstate_rec *rec = xmalloc(sizeof(*rec));
    long i;

    /* mon skips lines for groups or services it does not have */
    if (monstate_opstatus_parse(l, rec) == 0 &&
        (i = svctab_find(tab, rec->group, rec->service)) >= 0) {
        struct svc_state *st = svctab_state_mut(tab, (size_t)i);
        int64_t ack_ms = 0;
        char *th = NULL;

        monstate_opstatus_apply(rec, svctab_service_at(tab, (size_t)i), st,
                                &ack_ms, &th);
        if (ss != NULL) {
            srv_state_set_ack_time(ss, rec->group, rec->service,
                                   st->acked ? ack_ms : 0);
            if (th != NULL)
                srv_state_set_trap_host(ss, rec->group, rec->service, th);
        }
        free(th);
    }
    free(rec);
}

static int
load_file(struct svctab *tab, struct srv_state *ss, const char *statedir,
          const char *name)
{
    char *path = xasprintf("%s/%s", statedir, name);
    FILE *fp = fopen(path, "re");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0;

    if (fp == NULL) {
        log_warn("loadstate: could not read state file %s", path);
        free(path);
        return -1;
    }
    while ((n = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        if ((size_t)n > MONSTATE_LINE_MAX) {
            log_warnx("loadstate: %s:%d: line longer than %d bytes, skipped",
                      path, lineno, MONSTATE_LINE_MAX);
            continue;
        }
        line[strcspn(line, "\r\n")] = '\0';
        if (strcmp(name, "disabled") == 0)
            load_disabled_line(tab, path, lineno, line);
        else
            load_opstatus_line(tab, ss, line);
    }
    free(line);
    (void)fclose(fp);           /* read-only */
    log_info("loadstate: state '%s' loaded from %s", name, path);
    free(path);
    return 0;
}

int
monstate_load(struct svctab *tab, struct srv_state *ss, const char *statedir,
              unsigned types)
{
    int rc = 0;

    if (statedir == NULL) {
        log_warnx("loadstate: no statedir");
        return -1;
    }
    if ((types & MONSTATE_DISABLED) &&
        load_file(tab, ss, statedir, "disabled") != 0)
        rc = -1;
    if ((types & MONSTATE_OPSTATUS) &&
        load_file(tab, ss, statedir, "opstatus") != 0)
        rc = -1;
    if (ss != NULL)
        srv_state_touch(ss);
    return rc;
}
