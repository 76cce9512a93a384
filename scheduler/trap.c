/*
 * trap.c — mon's trap packet (see trap.h).
 */
#include "trap.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monproto.h"
#include "xalloc.h"

static char **
field(struct trap_packet *t, const char *tag, size_t taglen)
{
    static const struct {
        const char *tag;
        size_t off;
    } tags[] = {
        { "pro", offsetof(struct trap_packet, pro) },
        { "usr", offsetof(struct trap_packet, usr) },
        { "pas", offsetof(struct trap_packet, pas) },
        { "typ", offsetof(struct trap_packet, typ) },
        { "spc", offsetof(struct trap_packet, spc) },
        { "seq", offsetof(struct trap_packet, seq) },
        { "grp", offsetof(struct trap_packet, grp) },
        { "svc", offsetof(struct trap_packet, svc) },
        { "hst", offsetof(struct trap_packet, hst) },
        { "sta", offsetof(struct trap_packet, sta) },
        { "tsp", offsetof(struct trap_packet, tsp) },
        { "sum", offsetof(struct trap_packet, sum) },
        { "dtl", offsetof(struct trap_packet, dtl) },
    };

    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
        if (taglen == 3 && memcmp(tag, tags[i].tag, 3) == 0)
            return (char **)((char *)t + tags[i].off);
    return NULL;
}

static bool
is_word(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

int
trap_decode(const char *buf, size_t len, struct trap_packet *t,
            const char **why)
{
    const char *p = buf, *end = buf + len;

    memset(t, 0, sizeof(*t));
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl != NULL ? nl : end;
        const char *q = p;

        while (q < le && is_word(*q))
            q++;
        if (q > p && q < le && *q == '=') {
            const char *v = q + 1, *ve = le;
            char **f = field(t, p, (size_t)(q - p));
            char *raw;

            /* mon: s/^\'(.*)\'$/\1/ */
            if (ve - v >= 2 && *v == '\'' && ve[-1] == '\'') {
                v++;
                ve--;
            }
            if (f != NULL) {
                raw = xstrndup(v, (size_t)(ve - v));
                free(*f);
                *f = monproto_unesc(raw);
                free(raw);
            }
        } else if (le > p) {
            t->unknown_lines++;
        }
        p = nl != NULL ? nl + 1 : end;
    }
    if (t->pro == NULL || strtod(t->pro, NULL) < strtod(TRAP_PRO_VERSION,
                                                        NULL)) {
        *why = "protocol version missing or older than " TRAP_PRO_VERSION;
        return -1;
    }
    if (t->sta == NULL || t->sta[0] == '\0') {
        *why = "no sta (status) value";
        return -1;
    }
    for (const char *s = t->sta; *s; s++)
        if (!isdigit((unsigned char)*s)) {
            *why = "sta (status) is not a number";
            return -1;
        }
    if (t->grp == NULL || t->grp[0] == '\0') {
        *why = "no grp (group)";
        return -1;
    }
    *why = NULL;
    return 0;
}

void
trap_packet_fini(struct trap_packet *t)
{
    free(t->pro);
    free(t->usr);
    free(t->pas);
    free(t->typ);
    free(t->spc);
    free(t->seq);
    free(t->grp);
    free(t->svc);
    free(t->hst);
    free(t->sta);
    free(t->tsp);
    free(t->sum);
    free(t->dtl);
    memset(t, 0, sizeof(*t));
}

char *
trap_encode(const struct trap_send *s, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&buf, &n);
    const char *user = s->user != NULL ? s->user : "";
    char *usr, *pas, *grp, *svc, *sum, *dtl;

    if (fp == NULL) {
        perror("open_memstream");
        abort();
    }
    usr = monproto_esc(user, true);
    pas = monproto_esc(s->password != NULL ? s->password : "", true);
    grp = monproto_esc(s->group != NULL ? s->group : "", true);
    svc = monproto_esc(s->service != NULL ? s->service : "", true);
    sum = monproto_esc(s->summary != NULL ? s->summary : "", true);
    dtl = monproto_esc(s->detail != NULL ? s->detail : "", true);
    fprintf(fp, "pro='%s'\nusr='%s'\n", TRAP_PRO_VERSION, usr);
    if (user[0] != '\0')
        fprintf(fp, "pas='%s'\n", pas);
    fprintf(fp, "spc='%d'\nseq='0'\ntyp='trap'\ngrp='%s'\nsvc='%s'\n"
            "sta='%d'\nspc='%d'\ntsp='%" PRId64 "'\nsum='%s'\ndtl='%s'\n",
            s->opstatus, grp, svc, s->retval, s->opstatus, s->time_s, sum,
            dtl);
    free(usr);
    free(pas);
    free(grp);
    free(svc);
    free(sum);
    free(dtl);
    if (fclose(fp) != 0) {
        perror("open_memstream");
        abort();
    }
    *len = n;
    return buf;
}
