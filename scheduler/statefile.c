/*
 * statefile.c — mond's state file (see statefile.h).
 *
 * The svc_state fields are listed once, in a table of (name, kind,
 * offset), which both the writer and the reader walk: a field added to
 * the table is saved and loaded, and an old file without it loads with
 * the field at its initial value.
 */
#include "statefile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monproto.h"
#include "xalloc.h"

enum fkind { F_INT, F_I64, F_U64, F_BOOL, F_STR };

struct fdesc {
    const char *name;
    enum fkind kind;
    size_t off;
};

#define SF(name, kind) { #name, kind, offsetof(struct svc_state, name) }
static const struct fdesc svc_fields[] = {
    SF(opstatus, F_INT), SF(last_opstatus, F_INT), SF(last_retval, F_INT),
    SF(last_summary, F_STR), SF(last_detail, F_STR), SF(last_output, F_STR),
    SF(last_check_wall_ms, F_I64), SF(last_success_wall_ms, F_I64),
    SF(last_failure_wall_ms, F_I64), SF(first_failure_wall_ms, F_I64),
    SF(last_trap_wall_ms, F_I64), SF(trap_fail_until_wall_ms, F_I64),
    SF(consecutive_failures, F_INT), SF(failure_count, F_U64),
    SF(success_count, F_U64), SF(alert_count, F_U64), SF(acked, F_BOOL),
    SF(ack_comment, F_STR), SF(disabled, F_BOOL),
    SF(dep_fail_until_wall_ms, F_I64), SF(failure_summary, F_STR),
    SF(failure_detail, F_STR), SF(last_failure_start_wall_ms, F_I64),
};
#undef SF
#define PF(name, kind) { #name, kind, offsetof(struct period_state, name) }
static const struct fdesc period_fields[] = {
    PF(last_alert_wall_ms, F_I64), PF(alerts_sent, F_INT),
    PF(down_alert_sent, F_BOOL), PF(last_alert_summary, F_STR),
    PF(last_alert_detail, F_STR),
};
#undef PF
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

void
statefile_init(struct statefile *sf)
{
    memset(sf, 0, sizeof(*sf));
}

void
statefile_fini(struct statefile *sf)
{
    for (size_t i = 0; i < sf->nsvcs; i++) {
        struct statefile_svc *s = &sf->svcs[i];

        for (size_t p = 0; p < s->st.nperiods; p++)
            free(s->period_specs[p]);
        free(s->period_specs);
        svc_state_fini(&s->st);
        free(s->group);
        free(s->service);
    }
    free(sf->svcs);
    for (size_t i = 0; i < sf->nhosts; i++) {
        free(sf->hosts[i].group);
        free(sf->hosts[i].host);
    }
    free(sf->hosts);
    for (size_t i = 0; i < sf->nwatches; i++)
        free(sf->watches[i]);
    free(sf->watches);
    for (size_t i = 0; i < sf->nhistory; i++)
        free(sf->history[i]);
    free(sf->history);
    memset(sf, 0, sizeof(*sf));
}

static void
copy_fields(void *dst, const void *src, const struct fdesc *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *d = (char *)dst + f[i].off;
        const char *s = (const char *)src + f[i].off;

        switch (f[i].kind) {
        case F_INT: memcpy(d, s, sizeof(int)); break;
        case F_I64: memcpy(d, s, sizeof(int64_t)); break;
        case F_U64: memcpy(d, s, sizeof(uint64_t)); break;
        case F_BOOL: memcpy(d, s, sizeof(bool)); break;
        case F_STR: {
            char *const *sp = (char *const *)(const void *)s;
            char **dp = (char **)(void *)d;

            svc_str_free(*dp);
            *dp = *sp != NULL ? xstrdup(*sp) : NULL;
            break;
        }
        }
    }
}

static void
copy_period(struct period_state *d, const struct period_state *s)
{
    copy_fields(d, s, period_fields, NELEM(period_fields));
    memcpy(d->fail_times_ms, s->fail_times_ms, sizeof(d->fail_times_ms));
    d->nfail_times = s->nfail_times;
}

static const char *
period_key(const struct period_def *p)
{
    if (p->label != NULL)
        return p->label;
    return p->spec != NULL ? p->spec : "";
}

void
statefile_add_service(struct statefile *sf, const char *group,
                      const char *service, const struct service *svc,
                      const struct svc_state *st, int64_t ack_wall_ms)
{
    struct statefile_svc *s;

    xgrow((void **)&sf->svcs, &sf->capsvcs, sf->nsvcs + 1, sizeof(*sf->svcs));
    s = &sf->svcs[sf->nsvcs++];
    memset(s, 0, sizeof(*s));
    s->group = xstrdup(group);
    s->service = xstrdup(service);
    s->ack_wall_ms = ack_wall_ms;
    svc_state_init(&s->st, NULL);
    copy_fields(&s->st, st, svc_fields, NELEM(svc_fields));
    s->st.nperiods = st->nperiods;
    s->st.periods = st->nperiods ? xcalloc(st->nperiods,
                                           sizeof(*s->st.periods)) : NULL;
    s->period_specs = st->nperiods ? xcalloc(st->nperiods, sizeof(char *))
                                   : NULL;
    for (size_t p = 0; p < st->nperiods; p++) {
        copy_period(&s->st.periods[p], &st->periods[p]);
        s->period_specs[p] = xstrdup(svc != NULL && p < svc->nperiods ?
                                     period_key(&svc->periods[p]) : "");
    }
}

void
statefile_add_host(struct statefile *sf, const char *group, const char *host)
{
    xgrow((void **)&sf->hosts, &sf->caphosts, sf->nhosts + 1,
          sizeof(*sf->hosts));
    sf->hosts[sf->nhosts].group = xstrdup(group);
    sf->hosts[sf->nhosts].host = xstrdup(host);
    sf->nhosts++;
}

void
statefile_add_watch(struct statefile *sf, const char *watch)
{
    xgrow((void **)&sf->watches, &sf->capwatches, sf->nwatches + 1,
          sizeof(char *));
    sf->watches[sf->nwatches++] = xstrdup(watch);
}

void
statefile_add_history(struct statefile *sf, const char *line)
{
    xgrow((void **)&sf->history, &sf->caphistory, sf->nhistory + 1,
          sizeof(char *));
    sf->history[sf->nhistory++] = xstrdup(line);
}

const struct statefile_svc *
statefile_find(const struct statefile *sf, const char *group,
               const char *service)
{
    for (size_t i = 0; i < sf->nsvcs; i++)
        if (strcmp(sf->svcs[i].group, group) == 0 &&
            strcmp(sf->svcs[i].service, service) == 0)
            return &sf->svcs[i];
    return NULL;
}

void
statefile_apply(const struct statefile_svc *saved, const struct service *svc,
                struct svc_state *st)
{
    copy_fields(st, &saved->st, svc_fields, NELEM(svc_fields));
    for (size_t p = 0; p < st->nperiods && svc != NULL &&
                       p < svc->nperiods; p++) {
        const char *key = period_key(&svc->periods[p]);
        long found = -1;

        for (size_t q = 0; q < saved->st.nperiods; q++)
            if (strcmp(saved->period_specs[q], key) == 0) {
                found = (long)q;
                break;
            }
        if (found < 0 && saved->st.nperiods == st->nperiods)
            found = (long)p;
        if (found >= 0)
            copy_period(&st->periods[p], &saved->st.periods[found]);
    }
}

/* ---- text ---- */

/* Escape so a value holds no blank, tab, newline, '=' or backslash:
 * those and bytes outside 33..126 become \xx (monproto_unesc reverses). */
static void
put_val(FILE *fp, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= 32 || *p > 126 || *p == '=' || *p == '\\')
            fprintf(fp, "\\%02x", *p);
        else
            fputc(*p, fp);
    }
}

static void
put_kv(FILE *fp, const char *k, const char *v)
{
    fprintf(fp, "\t%s=", k);
    put_val(fp, v);
}

static void
put_fields(FILE *fp, const void *obj, const struct fdesc *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *p = (const char *)obj + f[i].off;

        switch (f[i].kind) {
        case F_INT: {
            int v;

            memcpy(&v, p, sizeof(v));
            fprintf(fp, "\t%s=%d", f[i].name, v);
            break;
        }
        case F_I64: {
            int64_t v;

            memcpy(&v, p, sizeof(v));
            fprintf(fp, "\t%s=%" PRId64, f[i].name, v);
            break;
        }
        case F_U64: {
            uint64_t v;

            memcpy(&v, p, sizeof(v));
            fprintf(fp, "\t%s=%" PRIu64, f[i].name, v);
            break;
        }
        case F_BOOL: {
            bool v;

            memcpy(&v, p, sizeof(v));
            fprintf(fp, "\t%s=%d", f[i].name, v ? 1 : 0);
            break;
        }
        case F_STR: {
            const char *v;

            memcpy(&v, p, sizeof(v));
            if (v != NULL)      /* absent = NULL */
                put_kv(fp, f[i].name, v);
            break;
        }
        }
    }
}

char *
statefile_format(const struct statefile *sf)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);

    if (fp == NULL) {
        perror("open_memstream");
        abort();
    }
    fprintf(fp, "mond-state %d\n", STATEFILE_VERSION);
    for (size_t i = 0; i < sf->nsvcs; i++) {
        const struct statefile_svc *s = &sf->svcs[i];

        fputs("svc", fp);
        put_kv(fp, "group", s->group);
        put_kv(fp, "service", s->service);
        fprintf(fp, "\tack_wall_ms=%" PRId64, s->ack_wall_ms);
        put_fields(fp, &s->st, svc_fields, NELEM(svc_fields));
        fputc('\n', fp);
        for (size_t p = 0; p < s->st.nperiods; p++) {
            const struct period_state *ps = &s->st.periods[p];

            fputs("period", fp);
            put_kv(fp, "group", s->group);
            put_kv(fp, "service", s->service);
            fprintf(fp, "\tindex=%zu", p);
            put_kv(fp, "spec", s->period_specs[p]);
            put_fields(fp, ps, period_fields, NELEM(period_fields));
            fputs("\tfail_times=", fp);
            for (int t = 0; t < ps->nfail_times &&
                            t < DECIDE_MAX_ALERTAFTER; t++)
                fprintf(fp, "%s%" PRId64, t ? "," : "",
                        ps->fail_times_ms[t]);
            fputc('\n', fp);
        }
    }
    for (size_t i = 0; i < sf->nhosts; i++) {
        fputs("host", fp);
        put_kv(fp, "group", sf->hosts[i].group);
        put_kv(fp, "host", sf->hosts[i].host);
        fputc('\n', fp);
    }
    for (size_t i = 0; i < sf->nwatches; i++) {
        fputs("watch", fp);
        put_kv(fp, "watch", sf->watches[i]);
        fputc('\n', fp);
    }
    for (size_t i = 0; i < sf->nhistory; i++) {
        fputs("alert", fp);
        put_kv(fp, "line", sf->history[i]);
        fputc('\n', fp);
    }
    fputs("end\n", fp);
    if (fclose(fp) != 0) {
        perror("open_memstream");
        abort();
    }
    return buf;
}

#define MAX_FIELDS 64

struct rec {
    char *type;
    char *k[MAX_FIELDS];
    char *v[MAX_FIELDS];        /* unescaped, owned */
    size_t n;
};

static const char *
rec_get(const struct rec *r, const char *k)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->k[i], k) == 0)
            return r->v[i];
    return NULL;
}

static void
rec_free(struct rec *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i]);
    r->n = 0;
}

static int
parse_num(const char *s, int64_t *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* Fill obj's table fields from r; -1 with the bad field in *bad. */
static int
get_fields(const struct rec *r, void *obj, const struct fdesc *f, size_t n,
           const char **bad)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = rec_get(r, f[i].name);
        char *p = (char *)obj + f[i].off;
        int64_t num;

        if (v == NULL)
            continue;
        if (f[i].kind == F_STR) {
            char **sp = (char **)(void *)p;

            svc_str_free(*sp);
            *sp = xstrdup(v);
            continue;
        }
        if (parse_num(v, &num) != 0) {
            *bad = f[i].name;
            return -1;
        }
        switch (f[i].kind) {
        case F_INT: { int x = (int)num; memcpy(p, &x, sizeof(x)); break; }
        case F_I64: memcpy(p, &num, sizeof(num)); break;
        case F_U64: { uint64_t x = (uint64_t)num; memcpy(p, &x, sizeof(x));
                      break; }
        case F_BOOL: { bool x = num != 0; memcpy(p, &x, sizeof(x)); break; }
        case F_STR: break;
        }
    }
    return 0;
}

static struct statefile_svc *
find_mut(struct statefile *sf, const char *g, const char *s)
{
    return (struct statefile_svc *)statefile_find(sf, g, s);
}

/* One record line into sf; -1 with an error added. */
static int
parse_record(const char *name, int lineno, struct rec *r,
             struct statefile *sf, struct diag_list *errs)
{
    const char *g = rec_get(r, "group"), *bad = NULL;

    if (strcmp(r->type, "svc") == 0) {
        const char *s = rec_get(r, "service");
        const char *ack = rec_get(r, "ack_wall_ms");
        struct svc_state tmp;
        int64_t ackms = 0;

        if (g == NULL || s == NULL) {
            diag_add(errs, DIAG_ERROR, name, lineno, 1,
                     "svc record without group or service");
            return -1;
        }
        svc_state_init(&tmp, NULL);
        if (get_fields(r, &tmp, svc_fields, NELEM(svc_fields), &bad) != 0 ||
            (ack != NULL && parse_num(ack, &ackms) != 0)) {
            diag_add(errs, DIAG_ERROR, name, lineno, 1,
                     "svc %s/%s: field %s is not a number", g, s,
                     bad != NULL ? bad : "ack_wall_ms");
            svc_state_fini(&tmp);
            return -1;
        }
        statefile_add_service(sf, g, s, NULL, &tmp, ackms);
        svc_state_fini(&tmp);
        return 0;
    }
    if (strcmp(r->type, "period") == 0) {
        const char *s = rec_get(r, "service"), *idx = rec_get(r, "index");
        const char *spec = rec_get(r, "spec"), *ft = rec_get(r, "fail_times");
        struct statefile_svc *sv = g && s ? find_mut(sf, g, s) : NULL;
        struct period_state *ps;
        int64_t i;

        if (sv == NULL || idx == NULL || parse_num(idx, &i) != 0 ||
            i < 0 || i > 1000 || (size_t)i != sv->st.nperiods) {
            diag_add(errs, DIAG_ERROR, name, lineno, 1,
                     "period record out of order or for an unknown service");
            return -1;
        }
        sv->st.periods = xrealloc(sv->st.periods, (sv->st.nperiods + 1) *
                                  sizeof(*sv->st.periods));
        sv->period_specs = xrealloc(sv->period_specs, (sv->st.nperiods + 1) *
                                    sizeof(char *));
        ps = &sv->st.periods[sv->st.nperiods];
        memset(ps, 0, sizeof(*ps));
        sv->period_specs[sv->st.nperiods] = xstrdup(spec ? spec : "");
        sv->st.nperiods++;
        if (get_fields(r, ps, period_fields, NELEM(period_fields),
                       &bad) != 0) {
            diag_add(errs, DIAG_ERROR, name, lineno, 1,
                     "period of %s/%s: field %s is not a number", g, s, bad);
            return -1;
        }
        for (const char *p = ft; p != NULL && *p != '\0' &&
                                 ps->nfail_times < DECIDE_MAX_ALERTAFTER;) {
            char *end;

            ps->fail_times_ms[ps->nfail_times++] = strtoll(p, &end, 10);
            if (end == p)
                break;
            p = *end == ',' ? end + 1 : end;
        }
        return 0;
    }
    if (strcmp(r->type, "host") == 0 && g != NULL && rec_get(r, "host")) {
        statefile_add_host(sf, g, rec_get(r, "host"));
        return 0;
    }
    if (strcmp(r->type, "watch") == 0 && rec_get(r, "watch") != NULL) {
        statefile_add_watch(sf, rec_get(r, "watch"));
        return 0;
    }
    if (strcmp(r->type, "alert") == 0 && rec_get(r, "line") != NULL) {
        statefile_add_history(sf, rec_get(r, "line"));
        return 0;
    }
    diag_add(errs, DIAG_ERROR, name, lineno, 1,
             "unknown or incomplete record \"%s\"", r->type);
    return -1;
}

int
statefile_parse(const char *name, const char *text, struct statefile *sf,
                struct diag_list *errs)
{
    char *copy = xstrdup(text);
    char *save = NULL;
    char *line;
    int lineno = 0;
    bool ended = false;
    int rc = -1;
    char expect[32];

    (void)snprintf(expect, sizeof(expect), "mond-state %d",
                   STATEFILE_VERSION);
    for (line = copy; ; line = save) {
        char *nl;
        struct rec r;
        char *tsave = NULL;

        if (line == NULL || *line == '\0')
            break;
        nl = strchr(line, '\n');
        if (nl == NULL) {
            diag_add(errs, DIAG_ERROR, name, lineno + 1, 1,
                     "truncated line (no newline)");
            goto out;
        }
        *nl = '\0';
        save = nl + 1;
        lineno++;
        if (ended) {
            diag_add(errs, DIAG_ERROR, name, lineno, 1, "data after \"end\"");
            goto out;
        }
        if (lineno == 1) {
            if (strcmp(line, expect) != 0) {
                diag_add(errs, DIAG_ERROR, name, 1, 1,
                         "expected \"%s\" (not a mond state file, or "
                         "another version)", expect);
                goto out;
            }
            continue;
        }
        if (strcmp(line, "end") == 0) {
            ended = true;
            continue;
        }
        r.n = 0;
        r.type = strtok_r(line, "\t", &tsave);
        for (char *f = strtok_r(NULL, "\t", &tsave); f != NULL;
             f = strtok_r(NULL, "\t", &tsave)) {
            char *eq = strchr(f, '=');

            if (eq == NULL || r.n == MAX_FIELDS) {
                diag_add(errs, DIAG_ERROR, name, lineno, 1,
                         "malformed field \"%.40s\"", f);
                rec_free(&r);
                goto out;
            }
            *eq = '\0';
            r.k[r.n] = f;
            r.v[r.n] = monproto_unesc(eq + 1);
            r.n++;
        }
        if (r.type == NULL) {
            diag_add(errs, DIAG_ERROR, name, lineno, 1, "empty line");
            goto out;
        }
        if (parse_record(name, lineno, &r, sf, errs) != 0) {
            rec_free(&r);
            goto out;
        }
        rec_free(&r);
    }
    if (lineno == 0) {
        diag_add(errs, DIAG_ERROR, name, 1, 1, "empty file");
        goto out;
    }
    if (!ended) {
        diag_add(errs, DIAG_ERROR, name, lineno, 0,
                 "no \"end\" line: the file is truncated");
        goto out;
    }
    rc = 0;
out:
    free(copy);
    return rc;
}

int
statefile_save(const char *path, const struct statefile *sf,
               struct atomicfile_err *err)
{
    char *text = statefile_format(sf);
    int rc = atomicfile_write(path, text, strlen(text), 0600, err);
    int e = errno;

    free(text);
    errno = e;
    return rc;
}

enum statefile_load_result
statefile_load(const char *path, struct statefile *sf,
               struct diag_list *errs, char **moved_to)
{
    FILE *fp = fopen(path, "re");
    char *buf;
    size_t n;
    bool has_nul;

    *moved_to = NULL;
    if (fp == NULL) {
        if (errno == ENOENT)
            return STATEFILE_ABSENT;
        diag_add(errs, DIAG_ERROR, path, 0, 0, "cannot read: %s",
                 strerror(errno));
        return STATEFILE_ERROR;
    }
    buf = xmalloc(STATEFILE_MAX_BYTES + 1);
    n = fread(buf, 1, STATEFILE_MAX_BYTES + 1, fp);
    if (ferror(fp)) {
        diag_add(errs, DIAG_ERROR, path, 0, 0, "cannot read: %s",
                 strerror(EIO));
        (void)fclose(fp);
        free(buf);
        return STATEFILE_ERROR;
    }
    (void)fclose(fp);           /* read-only */
    buf[n > STATEFILE_MAX_BYTES ? STATEFILE_MAX_BYTES : n] = '\0';
    has_nul = strlen(buf) != (n > STATEFILE_MAX_BYTES ?
                              STATEFILE_MAX_BYTES : n);
    if (n > STATEFILE_MAX_BYTES)
        diag_add(errs, DIAG_ERROR, path, 0, 0, "larger than %u bytes",
                 STATEFILE_MAX_BYTES);
    else if (has_nul)
        diag_add(errs, DIAG_ERROR, path, 0, 0, "contains NUL bytes");
    if (n > STATEFILE_MAX_BYTES || has_nul ||
        statefile_parse(path, buf, sf, errs) != 0) {
        char *aside = xasprintf("%s.corrupt.%lld", path,
                                (long long)time(NULL));

        free(buf);
        statefile_fini(sf);
        statefile_init(sf);
        if (rename(path, aside) == 0) {
            (void)atomicfile_sync_dir(path);
            *moved_to = aside;
        } else {
            free(aside);
        }
        return STATEFILE_CORRUPT;
    }
    free(buf);
    return STATEFILE_LOADED;
}
