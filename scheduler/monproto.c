/*
 * monproto.c — mon's client line protocol, pure (see monproto.h).
 */
#include "monproto.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

static const char *const verb_names[MONPROTO_NVERBS] = {
    "dump", "login", "disable", "enable", "quit", "list", "set", "get",
    "setview", "getview", "stop", "start", "loadstate", "savestate",
    "reset", "clear", "checkauth", "reload", "term", "test", "servertime",
    "ack", "version", "protid", "unack",
};

const char *
monproto_verb_name(enum monproto_verb v)
{
    if ((int)v < 0 || v >= MONPROTO_NVERBS)
        return "?";
    return verb_names[v];
}

/* Perl's \s: space, \t, \n, \v, \f, \r. */
static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
           c == '\r';
}

int
monproto_parse(const char *line, struct monproto_cmd *cmd)
{
    size_t n = 0;

    while (isalpha((unsigned char)line[n]))
        n++;
    if (n == 0 || (line[n] != '\0' && !is_blank(line[n])))
        return -1;
    for (int v = 0; v < MONPROTO_NVERBS; v++) {
        if (strlen(verb_names[v]) == n &&
            strncasecmp(line, verb_names[v], n) == 0) {
            const char *a = line + n;

            while (is_blank(*a))
                a++;
            cmd->verb = (enum monproto_verb)v;
            cmd->args = a;
            return 0;
        }
    }
    return -1;
}

size_t
monproto_split(char *s, char **fields, size_t max)
{
    size_t n = 0;
    char *p = s;

    if (*s == '\0' || max == 1) {
        if (*s == '\0')
            return 0;
        fields[0] = s;
        return 1;
    }
    for (;;) {
        char *start = p;

        if (max != 0 && n + 1 == max) {
            fields[n++] = start;
            break;
        }
        while (*p != '\0' && !is_blank(*p))
            p++;
        fields[n++] = start;
        if (*p == '\0')
            break;
        *p++ = '\0';
        while (is_blank(*p))
            p++;
        if (*p == '\0' && max == 0)
            break;
    }
    /* Perl drops trailing empty fields when there is no limit. */
    while (max == 0 && n > 0 && fields[n - 1][0] == '\0')
        n--;
    return n;
}

char *
monproto_esc(const char *s, bool in_quotes)
{
    size_t len = strlen(s);
    char *out = xmalloc(len * 3 + 1);
    char *o = out;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= 32 || *p > 126 || *p == '"' || *p == '\'') {
            static const char hex[] = "0123456789abcdef";

            *o++ = '\\';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        } else if (in_quotes && *p == '\\') {
            *o++ = '\\';
            *o++ = '\\';
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
    return -1;
}

char *
monproto_unesc(const char *s)
{
    char *out = xmalloc(strlen(s) + 1);
    char *o = out;

    for (const char *p = s; *p; p++) {
        if (p[0] == '\\' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            *o++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
}

char *
monproto_first_word(const char *s)
{
    size_t len = strlen(s);
    char *word = xmalloc(len + 1);
    char *w = word;
    const char *p = s;
    char *res;

    /* parse_line: pieces (quoted or not) are joined until a delimiter
     * outside quotes; a leading delimiter gives an empty first word. */
    while (*p != '\0' && !is_blank(*p)) {
        if (*p == '\'' || *p == '"') {
            char q = *p++;

            while (*p != '\0' && *p != q) {
                if (*p == '\\' && p[1] != '\0') {
                    /* inside "": \x -> x; inside '': kept as written */
                    if (q == '"') {
                        p++;
                    } else {
                        *w++ = *p++;
                    }
                }
                *w++ = *p++;
            }
            if (*p == q)
                p++;
        } else if (*p == '\\' && p[1] != '\0') {
            p++;
            *w++ = *p++;
        } else {
            *w++ = *p++;
        }
    }
    *w = '\0';
    res = monproto_unesc(word);
    free(word);
    return res;
}

static void
put_num(FILE *fp, const char *name, int64_t v)
{
    if (v == MONPROTO_UNSET)
        fprintf(fp, " %s=", name);
    else
        fprintf(fp, " %s=%" PRId64, name, v);
}

static void
put_esc(FILE *fp, const char *name, const char *v)
{
    char *e = monproto_esc(v != NULL ? v : "", true);

    fprintf(fp, " %s=%s", name, e);
    free(e);
}

char *
monproto_opstatus_line(const struct monproto_opstatus *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);

    if (fp == NULL) {
        perror("open_memstream");
        abort();
    }
    fprintf(fp, "group=%s service=%s opstatus=%d last_opstatus=%d",
            o->group, o->service, o->opstatus, o->last_opstatus);
    if (o->exitval == MONPROTO_UNSET)
        fputs(" exitval=undef", fp);
    else
        fprintf(fp, " exitval=%" PRId64, o->exitval);
    put_num(fp, "timer", o->timer);
    put_num(fp, "last_success", o->last_success);
    put_num(fp, "last_trap", o->last_trap);
    fprintf(fp, " last_traphost=%s",
            o->last_traphost != NULL ? o->last_traphost : "");
    put_num(fp, "last_check", o->last_check);
    put_num(fp, "ack", o->ack);
    put_esc(fp, "ackcomment",
            o->ack != 0 && o->ack != MONPROTO_UNSET ? o->ackcomment : "");
    put_num(fp, "alerts_sent", o->alerts_sent);
    put_num(fp, "depstatus", o->depstatus);
    put_esc(fp, "depend", o->depend);
    put_esc(fp, "hostdepend", o->hostdepend);
    put_esc(fp, "monitordepend", o->monitordepend);
    put_esc(fp, "alertdepend", o->alertdepend);
    put_esc(fp, "monitor", o->monitor);
    put_esc(fp, "last_summary", o->last_summary);
    put_esc(fp, "last_detail", o->last_detail);
    if (o->last_failure != 0 && o->last_failure != MONPROTO_UNSET)
        fprintf(fp, " last_failure=%" PRId64, o->last_failure);
    if (o->interval != 0)
        fprintf(fp, " interval=%" PRId64 " monitor_duration=%" PRId64
                " monitor_running=%d", o->interval, o->monitor_duration,
                o->monitor_running ? 1 : 0);
    if (o->exclude_period != NULL && o->exclude_period[0] != '\0') {
        char *e = monproto_esc(o->exclude_period, false);

        fprintf(fp, " exclude_period=%s", e);
        free(e);
    }
    if (o->exclude_hosts != NULL && o->exclude_hosts[0] != '\0') {
        char *e = monproto_esc(o->exclude_hosts, false);

        fprintf(fp, " exclude_hosts=%s", e);
        free(e);
    }
    if (o->randskew != 0)
        fprintf(fp, " randskew=%" PRId64, o->randskew);
    if (o->last_alert != 0)
        fprintf(fp, " last_alert=%" PRId64, o->last_alert);
    if (o->first_failure != 0)
        fprintf(fp, " first_failure=%" PRId64 " failure_duration=%" PRId64,
                o->first_failure, o->now - o->first_failure);
    fputc('\n', fp);
    if (fclose(fp) != 0) {
        perror("open_memstream");
        abort();
    }
    return buf;
}

size_t
monproto_parse_vars(const char *line, struct monproto_var *vars, size_t max)
{
    const char *p = line;
    size_t n = 0;

    while (n < max) {
        const char *name, *eq, *v;
        size_t vlen;
        char *raw;

        while (is_blank(*p))
            p++;
        name = p;
        eq = strchr(p, '=');
        if (eq == NULL || eq == name)
            break;
        v = eq + 1;
        if (*v == '\'' && strchr(v + 1, '\'') != NULL) {
            const char *end = strchr(v + 1, '\'');

            raw = xstrndup(v + 1, (size_t)(end - v - 1));
            p = end + 1;
        } else {
            vlen = 0;
            while (v[vlen] != '\0' && !is_blank(v[vlen]))
                vlen++;
            raw = xstrndup(v, vlen);
            p = v + vlen;
        }
        vars[n].name = xstrndup(name, (size_t)(eq - name));
        vars[n].value = monproto_unesc(raw);
        free(raw);
        n++;
    }
    return n;
}

void
monproto_vars_free(struct monproto_var *vars, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(vars[i].name);
        free(vars[i].value);
    }
}

const char *
monproto_var_get(const struct monproto_var *vars, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(vars[i].name, name) == 0)
            return vars[i].value;
    return NULL;
}
