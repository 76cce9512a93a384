/*
 * mdstat.monitor — Linux software RAID health from /proc/mdstat.
 *
 * Parses the whole file first (a line it does not understand makes the
 * check impossible: exit 3 naming file:line), then judges each array:
 *
 *   critical  inactive; a member marked (F); degraded ([2/1], [U_]) with
 *             no recovery that would make it whole; missing from --expect
 *   warning   resync / recovery / reshape in progress or pending, a
 *             degraded array whose running recovery restores every slot;
 *             auto-read-only / read-only; fewer spares than --spares;
 *             a check/repair scrub only with --warn-check
 *   ok        otherwise (a running check is still shown in the detail)
 *
 * The summary names the arrays at fault, with their failed members:
 * "md1:sdf3(F)".  The file is read once into a bounded buffer.
 */
#include "report.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MDSTAT_MAX_BYTES   (1024 * 1024)  /* larger is not /proc/mdstat */
#define MDSTAT_MAX_ARRAYS  256
#define MDSTAT_MAX_MEMBERS 64
#define MDSTAT_NAME_MAX    64
#define MDSTAT_EXPECT_MAX  64

static const char *prog = "mdstat.monitor";

struct md_member {
    char name[MDSTAT_NAME_MAX];
    int slot;
    bool faulty, spare, write_mostly, replacement, journal;
};

enum md_sync { SYNC_NONE, SYNC_RESYNC, SYNC_RECOVERY, SYNC_RESHAPE,
               SYNC_CHECK, SYNC_REPAIR };

static const char *const sync_names[] = {
    "", "resync", "recovery", "reshape", "check", "repair",
};

struct md_array {
    char name[MDSTAT_NAME_MAX];
    bool active;
    char ro[32];                    /* "", "read-only", "auto-read-only" */
    char level[32];                 /* "raid1", "linear", "" if unknown */
    struct md_member members[MDSTAT_MAX_MEMBERS];
    int nmembers;
    long long blocks;               /* -1 unknown */
    int raid_disks, in_sync;        /* [n/m]; -1 when not shown */
    char map[MDSTAT_MAX_MEMBERS + 1]; /* [UU_] */
    enum md_sync sync;
    bool sync_pending;              /* resync=DELAYED / PENDING */
    double pct;                     /* -1 unknown */
    char finish[32], speed[32], progress[64];
    char bitmap[96];
    char super[64];                 /* metadata: "1.2", "external:imsm" */
};

struct mdstat {
    struct md_array *arrays;
    int n;
};

/* ---- parsing ---- */

static void
copy_bounded(char *dst, size_t n, const char *src, size_t len)
{
    if (len >= n)
        len = n - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* "sde1[0](F)(W)" -> member; false if the token is not a member. */
static bool
parse_member(const char *tok, struct md_member *m)
{
    const char *br = strchr(tok, '[');
    if (br == NULL || br == tok || (size_t)(br - tok) >= sizeof(m->name))
        return false;
    memset(m, 0, sizeof(*m));
    copy_bounded(m->name, sizeof(m->name), tok, (size_t)(br - tok));
    char *end;
    errno = 0;
    long slot = strtol(br + 1, &end, 10);
    if (end == br + 1 || *end != ']' || errno || slot < 0 || slot > 100000)
        return false;
    m->slot = (int)slot;
    for (const char *p = end + 1; *p;) {
        if (p[0] != '(' || p[1] == '\0' || p[2] != ')')
            return false;
        switch (p[1]) {
        case 'F': m->faulty = true; break;
        case 'S': m->spare = true; break;
        case 'W': m->write_mostly = true; break;
        case 'R': m->replacement = true; break;
        case 'J': m->journal = true; break;
        default: return false;
        }
        p += 3;
    }
    return true;
}

/* Split s (modified) into whitespace tokens; returns the count. */
static int
split(char *s, char **tok, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(s, " \t", &save); t && n < max;
         t = strtok_r(NULL, " \t", &save))
        tok[n++] = t;
    return n;
}

/* "md0 : active (auto-read-only) raid1 sda1[0] sdb1[1]" */
static int
parse_array_line(char *line, struct md_array *a, char *err, size_t errlen)
{
    char *tok[MDSTAT_MAX_MEMBERS + 8];
    int max = (int)(sizeof(tok) / sizeof(tok[0]));
    int n = split(line, tok, max);
    if (n == max) {
        snprintf(err, errlen, "%s: more than %d members", tok[0],
                 MDSTAT_MAX_MEMBERS);
        return -1;
    }
    if (n < 3 || strcmp(tok[1], ":") != 0) {
        snprintf(err, errlen, "expected \"mdN : active|inactive ...\"");
        return -1;
    }
    memset(a, 0, sizeof(*a));
    if (strlen(tok[0]) >= sizeof(a->name)) {
        snprintf(err, errlen, "array name too long");
        return -1;
    }
    strcpy(a->name, tok[0]);
    a->blocks = -1;
    a->raid_disks = a->in_sync = -1;
    a->pct = -1;
    if (strcmp(tok[2], "active") == 0)
        a->active = true;
    else if (strcmp(tok[2], "inactive") != 0) {
        snprintf(err, errlen, "%s: expected state active or inactive, "
                 "found \"%s\"", a->name, tok[2]);
        return -1;
    }
    int i = 3;
    if (i < n && tok[i][0] == '(') {
        size_t l = strlen(tok[i]);
        if (l < 3 || tok[i][l - 1] != ')' || l - 2 >= sizeof(a->ro)) {
            snprintf(err, errlen, "%s: bad state flag \"%s\"", a->name,
                     tok[i]);
            return -1;
        }
        copy_bounded(a->ro, sizeof(a->ro), tok[i] + 1, l - 2);
        i++;
    }
    if (i < n && strchr(tok[i], '[') == NULL) {
        if (strlen(tok[i]) >= sizeof(a->level)) {
            snprintf(err, errlen, "%s: bad level \"%s\"", a->name, tok[i]);
            return -1;
        }
        strcpy(a->level, tok[i]);
        i++;
    }
    for (; i < n; i++) {
        if (a->nmembers == MDSTAT_MAX_MEMBERS) {
            snprintf(err, errlen, "%s: more than %d members", a->name,
                     MDSTAT_MAX_MEMBERS);
            return -1;
        }
        if (!parse_member(tok[i], &a->members[a->nmembers])) {
            snprintf(err, errlen, "%s: bad member \"%s\"", a->name, tok[i]);
            return -1;
        }
        a->nmembers++;
    }
    return 0;
}

/* "[>....]  recovery =  0.3% (3171840/942138801) finish=218.2min
 *  speed=71696K/sec" or "resync=DELAYED". */
static int
parse_sync(const char *s, struct md_array *a, char *err, size_t errlen)
{
    if (s[0] == '[') {
        const char *e = strchr(s, ']');
        if (e == NULL)
            goto bad;
        s = e + 1;
    }
    while (*s == ' ')
        s++;
    size_t wl = strcspn(s, " =");
    enum md_sync kind = SYNC_NONE;
    for (int k = 1; k < (int)(sizeof(sync_names) / sizeof(sync_names[0]));
         k++)
        if (strlen(sync_names[k]) == wl && strncmp(s, sync_names[k], wl) == 0)
            kind = (enum md_sync)k;
    if (kind == SYNC_NONE)
        goto bad;
    s += wl;
    while (*s == ' ')
        s++;
    if (*s++ != '=')
        goto bad;
    while (*s == ' ')
        s++;
    a->sync = kind;
    if (isalpha((unsigned char)*s)) {       /* DELAYED, PENDING */
        a->sync_pending = true;
        return 0;
    }
    char *end;
    double pct = strtod(s, &end);
    if (end == s || *end != '%' || !(pct >= 0 && pct <= 100))
        goto bad;
    a->pct = pct;
    s = end + 1;
    char tok[128];
    while (sscanf(s, " %127s", tok) == 1) {
        if (tok[0] == '(')
            copy_bounded(a->progress, sizeof(a->progress), tok + 1,
                         strcspn(tok + 1, ")"));
        else if (strncmp(tok, "finish=", 7) == 0)
            copy_bounded(a->finish, sizeof(a->finish), tok + 7,
                         strlen(tok + 7));
        else if (strncmp(tok, "speed=", 6) == 0)
            copy_bounded(a->speed, sizeof(a->speed), tok + 6,
                         strlen(tok + 6));
        while (*s == ' ')
            s++;
        s += strlen(tok);
    }
    return 0;
bad:
    snprintf(err, errlen, "%s: unrecognised progress line", a->name);
    return -1;
}

/* "1060244 blocks super 1.0 [2/1] [U_]" and its raid5/raid10 variants. */
static int
parse_blocks(char *s, struct md_array *a, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long long b = strtoll(s, &end, 10);
    if (end == s || errno || b < 0 || strncmp(end, " blocks", 7) != 0) {
        snprintf(err, errlen, "%s: expected \"N blocks ...\"", a->name);
        return -1;
    }
    a->blocks = b;
    char *tok[32];
    int n = split(end, tok, 32);
    for (int i = 0; i < n; i++) {
        int nd, ns;
        char c;
        if (strcmp(tok[i], "super") == 0 && i + 1 < n)
            copy_bounded(a->super, sizeof(a->super), tok[i + 1],
                         strlen(tok[i + 1]));
        if (sscanf(tok[i], "[%d/%d%c", &nd, &ns, &c) == 3 && c == ']') {
            if (nd < 0 || ns < 0 || ns > nd || nd > MDSTAT_MAX_MEMBERS * 16) {
                snprintf(err, errlen, "%s: bad disk count %s", a->name,
                         tok[i]);
                return -1;
            }
            a->raid_disks = nd;
            a->in_sync = ns;
        } else if (tok[i][0] == '[' && a->raid_disks >= 0) {
            size_t l = strlen(tok[i]);
            if (l < 3 || tok[i][l - 1] != ']' ||
                strspn(tok[i] + 1, "U_") != l - 2) {
                snprintf(err, errlen, "%s: bad member map %s", a->name,
                         tok[i]);
                return -1;
            }
            copy_bounded(a->map, sizeof(a->map), tok[i] + 1, l - 2);
        }
    }
    return 0;
}

static int
parse_detail(char *s, struct md_array *a, char *err, size_t errlen)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if (isdigit((unsigned char)*s))
        return parse_blocks(s, a, err, errlen);
    if (strncmp(s, "bitmap:", 7) == 0) {
        s += 7;
        while (*s == ' ')
            s++;
        copy_bounded(a->bitmap, sizeof(a->bitmap), s, strlen(s));
        return 0;
    }
    if (*s == '[' || strchr(s, '=') != NULL)
        return parse_sync(s, a, err, errlen);
    snprintf(err, errlen, "%s: unrecognised line", a->name);
    return -1;
}

/* Parse text (NUL-terminated, modified).  0, or -1 with err filled. */
static int
mdstat_parse(char *text, struct mdstat *md, char *err, size_t errlen)
{
    char lerr[256];
    int lineno = 0;
    bool personalities = false, unused = false;
    struct md_array *cur = NULL;
    char *save = NULL;
    md->n = 0;
    for (char *line = text; line; line = save) {
        save = strchr(line, '\n');
        if (save)
            *save++ = '\0';
        lineno++;
        size_t len = strlen(line);
        while (len && (line[len - 1] == ' ' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0) {
            cur = NULL;
            continue;
        }
        lerr[0] = '\0';
        if (line[0] == ' ' || line[0] == '\t') {
            if (cur == NULL) {
                snprintf(lerr, sizeof(lerr), "indented line outside an array");
                goto fail;
            }
            if (parse_detail(line, cur, lerr, sizeof(lerr)) < 0)
                goto fail;
        } else if (strncmp(line, "Personalities :", 15) == 0) {
            personalities = true;
        } else if (strncmp(line, "read_ahead", 10) == 0) {
            /* 2.4 kernels; nothing to judge */
        } else if (strncmp(line, "unused devices:", 15) == 0) {
            unused = true;
            cur = NULL;
        } else if (strncmp(line, "md", 2) == 0 && strstr(line, " : ")) {
            if (!personalities) {
                snprintf(lerr, sizeof(lerr), "array before the "
                         "\"Personalities :\" line");
                goto fail;
            }
            if (md->n == MDSTAT_MAX_ARRAYS) {
                snprintf(lerr, sizeof(lerr), "more than %d arrays",
                         MDSTAT_MAX_ARRAYS);
                goto fail;
            }
            cur = &md->arrays[md->n];
            if (parse_array_line(line, cur, lerr, sizeof(lerr)) < 0)
                goto fail;
            for (int i = 0; i < md->n; i++)
                if (strcmp(md->arrays[i].name, cur->name) == 0) {
                    snprintf(lerr, sizeof(lerr), "array %s listed twice",
                             cur->name);
                    goto fail;
                }
            md->n++;
        } else {
            snprintf(lerr, sizeof(lerr), "unrecognised line \"%.40s%s\"",
                     line, len > 40 ? "..." : "");
            goto fail;
        }
    }
    if (!personalities) {
        snprintf(err, errlen, "no \"Personalities :\" line "
                 "(not an mdstat file)");
        return -1;
    }
    if (!unused) {
        snprintf(err, errlen, "no \"unused devices:\" line (file truncated?)");
        return -1;
    }
    return 0;
fail:
    snprintf(err, errlen, "line %d: %s", lineno, lerr);
    return -1;
}

/* ---- judging ---- */

struct opts {
    const char *file;
    char *expect[MDSTAT_EXPECT_MAX];
    int nexpect;
    int spares_default;             /* -1: no requirement */
    char *spare_name[MDSTAT_EXPECT_MAX];
    int spare_want[MDSTAT_EXPECT_MAX];
    int nspares;
    bool warn_check;
};

static bool
is_redundant(const char *level)
{
    return strcmp(level, "raid1") == 0 || strcmp(level, "raid4") == 0 ||
           strcmp(level, "raid5") == 0 || strcmp(level, "raid6") == 0 ||
           strcmp(level, "raid10") == 0 || strcmp(level, "multipath") == 0;
}

static int
spares_wanted(const struct opts *o, const char *name)
{
    for (int i = 0; i < o->nspares; i++)
        if (strcmp(o->spare_name[i], name) == 0)
            return o->spare_want[i];
    return o->spares_default;
}

/* Append printf text to buf (bounded, truncates silently at the end). */
static void __attribute__((format(printf, 3, 4)))
bprintf(char *buf, size_t n, const char *fmt, ...)
{
    size_t l = strlen(buf);
    if (l + 1 >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + l, n - l, fmt, ap);
    va_end(ap);
}

static enum mon_status
worse(enum mon_status a, enum mon_status b)
{
    return a > b ? a : b;
}

static void
judge(struct report *r, const struct md_array *a, const struct opts *o)
{
    enum mon_status st = MON_OK;
    char item[1024], why[1024] = "", det[2048] = "";
    snprintf(item, sizeof(item), "%s", a->name);

    int nfaulty = 0, nspare = 0, nworking = 0;
    for (int i = 0; i < a->nmembers; i++) {
        const struct md_member *m = &a->members[i];
        if (m->faulty) {
            bprintf(item, sizeof(item), "%s%s(F)", nfaulty ? "," : ":",
                    m->name);
            nfaulty++;
        } else if (m->spare)
            nspare++;
        else if (!m->journal && !m->replacement)
            nworking++;
    }
    bool degraded = a->raid_disks >= 0 &&
        (a->in_sync < a->raid_disks || strchr(a->map, '_') != NULL);

    /* An IMSM/DDF container ("super external:imsm") is always listed
     * inactive; its member arrays ("external:/md127/0") carry the data. */
    bool container = !a->active && strncmp(a->super, "external:", 9) == 0 &&
                     strchr(a->super, '/') == NULL;
    if (!a->active && !container)
        st = MON_CRIT;              /* "inactive" is in the detail */
    if (nfaulty) {
        st = MON_CRIT;
        bprintf(why, sizeof(why), ", %d failed member%s", nfaulty,
                nfaulty > 1 ? "s" : "");
    }
    if (degraded) {
        /* A recovery that brings every slot back makes this a repair in
         * progress (warning); otherwise redundancy is lost (critical). */
        bool healing = a->sync == SYNC_RECOVERY && !a->sync_pending &&
                       nworking >= a->raid_disks;
        st = worse(st, healing ? MON_WARN : MON_CRIT);
        bprintf(why, sizeof(why), ", degraded");
    }
    if (a->sync != SYNC_NONE) {
        bool scrub = a->sync == SYNC_CHECK || a->sync == SYNC_REPAIR;
        if (!scrub || o->warn_check)
            st = worse(st, MON_WARN);
        if (a->sync_pending)
            bprintf(why, sizeof(why), ", %s pending", sync_names[a->sync]);
        else
            bprintf(why, sizeof(why), ", %s %.1f%%", sync_names[a->sync],
                    a->pct);
        if (a->finish[0])
            bprintf(why, sizeof(why), " finish=%s", a->finish);
        if (a->speed[0])
            bprintf(why, sizeof(why), " speed=%s", a->speed);
    }
    if (a->ro[0]) {
        st = worse(st, MON_WARN);
        bprintf(why, sizeof(why), ", %s", a->ro);
    }
    int want = spares_wanted(o, a->name);
    /* IMSM/DDF member arrays take spares from their container, where
     * every disk is listed (S): nothing to count, so no requirement. */
    bool external = strncmp(a->super, "external:", 9) == 0;
    if (want > 0 && a->active && !external && is_redundant(a->level) &&
        nspare < want) {
        st = worse(st, MON_WARN);
        bprintf(why, sizeof(why), ", %d spare%s of %d wanted", nspare,
                nspare == 1 ? "" : "s", want);
    }

    /* Detail: level, state, [n/m] [map], members, bitmap. */
    if (container)
        bprintf(det, sizeof(det), "container (%s metadata)", a->super + 9);
    else
        bprintf(det, sizeof(det), "%s %s", a->level[0] ? a->level : "-",
                a->active ? "active" : "inactive");
    if (a->raid_disks >= 0)
        bprintf(det, sizeof(det), " [%d/%d] [%s]", a->raid_disks, a->in_sync,
                a->map);
    bprintf(det, sizeof(det), "%s; members", why);
    for (int i = 0; i < a->nmembers; i++) {
        const struct md_member *m = &a->members[i];
        bprintf(det, sizeof(det), " %s%s%s%s%s%s", m->name,
                m->faulty ? "(F)" : "", m->spare ? "(S)" : "",
                m->write_mostly ? "(W)" : "", m->replacement ? "(R)" : "",
                m->journal ? "(J)" : "");
    }
    if (a->nmembers == 0)
        bprintf(det, sizeof(det), " none");
    if (a->bitmap[0])
        bprintf(det, sizeof(det), "; bitmap %s", a->bitmap);
    report_item(r, item, st, "%s", det);

    char lab[MDSTAT_NAME_MAX + 16];
    if (a->raid_disks >= 0) {
        snprintf(lab, sizeof(lab), "%s_in_sync", a->name);
        report_perf(r, lab, a->in_sync, NULL, NAN, NAN, 0,
                    a->raid_disks);
    }
    if (a->sync != SYNC_NONE && a->pct >= 0) {
        snprintf(lab, sizeof(lab), "%s_%s", a->name, sync_names[a->sync]);
        report_perf(r, lab, a->pct, "%", NAN, NAN, 0, 100);
    }
}

/* ---- options ---- */

static void
usage(FILE *out)
{
    fprintf(out,
"Usage: %s [OPTION]... [HOST]...\n"
"Check Linux software RAID arrays in /proc/mdstat.\n"
"\n"
"  -f, --file PATH       read PATH instead of /proc/mdstat\n"
"  -e, --expect LIST     arrays that must exist, comma separated (md0,md1);\n"
"                        a missing one is critical\n"
"  -s, --spares SPEC     spares each redundant array should have: N for\n"
"                        all, or md0=N,md1=N (may be combined: 1,md9=0);\n"
"                        fewer is a warning\n"
"  -w, --warn-check      a running check/repair scrub is a warning\n"
"                        (default: shown in the detail only)\n"
"  -h, --help            show this help and exit\n"
"\n"
"HOST arguments (appended by mon) are ignored: the check is local.\n"
"\n"
"Critical: inactive array, failed member (F), degraded array with no\n"
"recovery that restores every slot, expected array missing.  Warning:\n"
"resync/recovery/reshape running or pending, (auto-)read-only, too few\n"
"spares.  Summary: the arrays at fault, failed members named\n"
"(md1:sdf3(F)).\n"
"\n"
"Exit status: 0 all ok, 1 warning, 2 critical, 3 could not check\n"
"(unreadable or garbled file, bad arguments).\n", prog);
}

static int
parse_count(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < 0 || v > 64)
        return -1;
    return (int)v;
}

static void
parse_spares(char *spec, struct opts *o)
{
    char *save = NULL;
    for (char *t = strtok_r(spec, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (eq == NULL) {
            if ((o->spares_default = parse_count(t)) < 0)
                report_usage(prog, "--spares: \"%s\" is not a count 0..64",
                             t);
            continue;
        }
        *eq = '\0';
        if (o->nspares == MDSTAT_EXPECT_MAX)
            report_usage(prog, "--spares: more than %d arrays",
                         MDSTAT_EXPECT_MAX);
        if (*t == '\0' || (o->spare_want[o->nspares] = parse_count(eq + 1))
            < 0)
            report_usage(prog, "--spares: \"%s=%s\" is not ARRAY=COUNT", t,
                         eq + 1);
        o->spare_name[o->nspares++] = t;
    }
}

static void
parse_expect(char *list, struct opts *o)
{
    char *save = NULL;
    for (char *t = strtok_r(list, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        if (o->nexpect == MDSTAT_EXPECT_MAX)
            report_usage(prog, "--expect: more than %d arrays",
                         MDSTAT_EXPECT_MAX);
        if (strlen(t) >= MDSTAT_NAME_MAX || strpbrk(t, " \t:"))
            report_usage(prog, "--expect: bad array name \"%s\"", t);
        o->expect[o->nexpect++] = t;
    }
    if (o->nexpect == 0)
        report_usage(prog, "--expect: empty list");
}

/* Read the whole file into a NUL-terminated heap buffer; NULL on error
 * (errno set; EFBIG when over the bound). */
static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *buf = malloc(MDSTAT_MAX_BYTES + 1);
    if (buf == NULL) {
        fputs("out of memory\n", stderr);
        abort();
    }
    size_t n = fread(buf, 1, MDSTAT_MAX_BYTES + 1, f);
    int e = ferror(f) ? EIO : 0;
    fclose(f);
    if (e == 0 && n > MDSTAT_MAX_BYTES)
        e = EFBIG;
    if (e) {
        free(buf);
        errno = e;
        return NULL;
    }
    buf[n] = '\0';
    if (memchr(buf, '\0', n) != NULL) {
        free(buf);
        errno = EINVAL;
        return NULL;
    }
    return buf;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"file", required_argument, NULL, 'f'},
        {"expect", required_argument, NULL, 'e'},
        {"spares", required_argument, NULL, 's'},
        {"warn-check", no_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct opts o = { .file = "/proc/mdstat", .spares_default = -1 };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:e:s:wh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': o.file = optarg; break;
        case 'e': parse_expect(optarg, &o); break;
        case 's': parse_spares(optarg, &o); break;
        case 'w': o.warn_check = true; break;
        case 'h': usage(stdout); return 0;
        case ':':
            report_usage(prog, "option '%s' needs an argument",
                         argv[optind - 1]);
        default:
            report_usage(prog, "unknown option '%s'", argv[optind - 1]);
        }
    }

    char *text = slurp(o.file);
    if (text == NULL)
        report_fatal("cannot read %s: %s%s", o.file,
                     errno == EINVAL ? "binary data" :
                     errno == EFBIG ? "file too large" : strerror(errno),
                     errno == ENOENT && strcmp(o.file, "/proc/mdstat") == 0 ?
                     " (md driver not loaded?)" : "");
    struct mdstat md;
    md.arrays = calloc(MDSTAT_MAX_ARRAYS, sizeof(*md.arrays));
    if (md.arrays == NULL) {
        fputs("out of memory\n", stderr);
        abort();
    }
    char err[512];
    if (mdstat_parse(text, &md, err, sizeof(err)) < 0)
        report_fatal("%s: garbled mdstat: %s", o.file, err);

    struct report r;
    report_init(&r);
    for (int i = 0; i < md.n; i++)
        judge(&r, &md.arrays[i], &o);
    for (int i = 0; i < o.nexpect; i++) {
        bool found = false;
        for (int j = 0; j < md.n; j++)
            found = found || strcmp(md.arrays[j].name, o.expect[i]) == 0;
        if (!found)
            report_item(&r, o.expect[i], MON_CRIT,
                        "missing: not in %s (expected by --expect)", o.file);
    }
    if (md.n == 0 && o.nexpect == 0)
        report_item(&r, "mdstat", MON_OK, "no arrays in %s", o.file);
    int rc = report_finish(&r, stdout);
    report_fini(&r);
    free(md.arrays);
    free(text);
    return rc;
}
