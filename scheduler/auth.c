/*
 * auth.c — auth.cf, userfile and password checks (see auth.h).
 *
 * The command table is a short list of (command, user, allow|deny)
 * rows: auth.cf files have tens of lines, so a linear scan is simpler
 * than a hash and as fast.  Trap host names are resolved while the file
 * is parsed (blocking, like the file read itself: start-up, SIGHUP,
 * "reload auth"); a resolver that ran beside the loop would replace
 * that if slow DNS ever stalled reloads.
 */
#include "auth.h"

#include <arpa/inet.h>
#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <shadow.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define AUTH_FILE_MAX (1024 * 1024)   /* auth.cf / userfile size bound */
#define AUTH_SHADOW_BUF 16384         /* getpwnam_r / getspnam_r buffer */

/* appdata of the PAM conversation. */
struct auth_pam_cred {
    const char *user, *password;
};

struct auth_cmd_rule {
    char *cmd;                  /* lower case */
    char *user;                 /* "all", "AUTH_ANY" or a login */
    bool deny;
};

struct auth_trap_rule {
    char *host;                 /* "*" or a numeric address (a name in
                                 * auth.cf gives one rule per address) */
    char *user;                 /* "*" or a login */
    char *hash;
};

/* What parsing one file needs besides the text. */
struct auth_parse_ctx {
    const char *name;           /* for messages */
    auth_resolve_fn resolve;
    struct diag_list *errs;
};

struct auth {
    struct auth_cmd_rule *cmds;
    size_t ncmds, capcmds;
    struct auth_trap_rule *traps;
    size_t ntraps, captraps;
};

static void
add_cmd(struct auth *a, const char *cmd, size_t cmdlen, const char *user,
        size_t userlen, bool deny)
{
    struct auth_cmd_rule *r;

    xgrow((void **)&a->cmds, &a->capcmds, a->ncmds + 1, sizeof(*a->cmds));
    r = &a->cmds[a->ncmds++];
    r->cmd = xstrndup(cmd, cmdlen);
    for (char *p = r->cmd; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    r->user = xstrndup(user, userlen);
    r->deny = deny;
}

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Does the line start with WORD, blanks, "section"? */
static bool
is_section(const char *s, size_t len, const char *word)
{
    size_t wl = strlen(word), i;

    if (len <= wl || strncmp(s, word, wl) != 0 || !is_space(s[wl]))
        return false;
    for (i = wl; i < len && is_space(s[i]); i++)
        ;
    return len - i >= 7 && strncmp(s + i, "section", 7) == 0;
}

/* One command-section line "cmd: u1, u2, !u3" (trimmed, not blank). */
static void
parse_cmd_line(struct auth *a, const char *name, int lineno, const char *l,
               size_t len, size_t col0, struct diag_list *errs)
{
    const char *colon = memchr(l, ':', len);
    const char *end = l + len;
    size_t cmdlen;

    if (colon == NULL) {
        diag_add(errs, DIAG_ERROR, name, lineno, (int)col0 + 1,
                 "expected \"command: user, ...\" in the command section");
        return;
    }
    cmdlen = (size_t)(colon - l);
    while (cmdlen > 0 && is_space(l[cmdlen - 1]))
        cmdlen--;
    if (cmdlen == 0) {
        diag_add(errs, DIAG_ERROR, name, lineno, (int)col0 + 1,
                 "expected a command name before \":\"");
        return;
    }
    for (const char *p = colon + 1; p < end;) {
        const char *u, *ue;
        bool deny = false;

        while (p < end && (is_space(*p) || *p == ','))
            p++;
        if (p >= end)
            break;
        u = p;
        while (p < end && *p != ',')
            p++;
        ue = p;
        while (ue > u && is_space(ue[-1]))
            ue--;
        if (*u == '!') {
            deny = true;
            u++;
        }
        if (ue <= u) {
            diag_add(errs, DIAG_ERROR, name, lineno,
                     (int)(col0 + (size_t)(u - l)),
                     "expected a user name after \"!\"");
            continue;
        }
        add_cmd(a, l, cmdlen, u, (size_t)(ue - u), deny);
    }
}

static void
add_trap(struct auth *a, const char *host, const char *user,
         const char *hash)
{
    struct auth_trap_rule *r;

    xgrow((void **)&a->traps, &a->captraps, a->ntraps + 1,
          sizeof(*a->traps));
    r = &a->traps[a->ntraps++];
    r->host = xstrdup(host);
    r->user = xstrdup(user);
    r->hash = xstrdup(hash);
}

/* mon's host pattern for names: /^[A-Z\d][A-Z\.\d\-]*[A-Z\d]+$/i (its
 * stray "[" inside the classes left out). */
static bool
is_host_name(const char *h)
{
    size_t n = strlen(h);

    if (n < 2 || !isalnum((unsigned char)h[0]) ||
        !isalnum((unsigned char)h[n - 1]))
        return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-')
            return false;
    return true;
}

/* mon's dotted quad pattern /^\d{1,3}(\.\d{1,3}){3}$/. */
static bool
is_dotted_quad(const char *h)
{
    int parts = 0;

    for (const char *p = h;;) {
        size_t d = 0;

        while (isdigit((unsigned char)p[d]))
            d++;
        if (d < 1 || d > 3)
            return false;
        parts++;
        p += d;
        if (*p == '\0')
            return parts == 4;
        if (*p != '.' || parts == 4)
            return false;
        p++;
    }
}

int
auth_resolve_getaddrinfo(const char *host, char (*addrs)[AUTH_ADDR_LEN],
                         size_t max, char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    size_t n = 0;
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "%s",
                 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai != NULL && n < max; ai = ai->ai_next) {
        char buf[AUTH_ADDR_LEN];
        bool dup = false;

        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, buf, sizeof(buf), NULL,
                        0, NI_NUMERICHOST) != 0)
            continue;
        for (size_t k = 0; k < n && !dup; k++)
            dup = strcmp(addrs[k], buf) == 0;
        if (!dup)
            memcpy(addrs[n++], buf, sizeof(buf));
    }
    freeaddrinfo(res);
    if (n == 0) {
        snprintf(err, errlen, "no usable address");
        return -1;
    }
    return (int)n;
}

/* One trap-section line "host user password-hash".  host is "*", an
 * address (mon: a dotted quad; mond also takes an IPv6 address) or a
 * name matching mon's pattern, resolved now to every address it has
 * (mon's inet_aton() keeps only the first IPv4 one). */
static void
parse_trap_line(struct auth *a, const struct auth_parse_ctx *px, int lineno,
                const char *l, size_t len, size_t col0)
{
    char *copy = xstrndup(l, len);
    char *f[4];
    size_t n = 0;
    char *save = NULL;
    unsigned char buf[sizeof(struct in6_addr)];
    char canon[AUTH_ADDR_LEN];
    int col = (int)col0 + 1;

    for (char *t = strtok_r(copy, " \t", &save); t != NULL && n < 4;
         t = strtok_r(NULL, " \t", &save))
        f[n++] = t;
    if (n != 3) {
        diag_add(px->errs, DIAG_ERROR, px->name, lineno, col,
                 "expected \"host user password-hash\" in the trap section");
    } else if (strcmp(f[0], "*") == 0) {
        add_trap(a, "*", f[1], f[2]);
    } else if (inet_pton(AF_INET, f[0], buf) == 1 && is_dotted_quad(f[0])) {
        add_trap(a, inet_ntop(AF_INET, buf, canon, sizeof(canon)), f[1],
                 f[2]);
    } else if (is_dotted_quad(f[0])) {
        diag_add(px->errs, DIAG_ERROR, px->name, lineno, col,
                 "trap host \"%s\" is not a valid IPv4 address", f[0]);
    } else if (inet_pton(AF_INET6, f[0], buf) == 1) {
        add_trap(a, inet_ntop(AF_INET6, buf, canon, sizeof(canon)), f[1],
                 f[2]);
    } else if (!is_host_name(f[0])) {
        diag_add(px->errs, DIAG_ERROR, px->name, lineno, col,
                 "trap host \"%s\" is not an IP address, a host name or "
                 "\"*\"", f[0]);
    } else {
        char (*addrs)[AUTH_ADDR_LEN] =
            xcalloc(AUTH_TRAP_ADDRS_MAX, sizeof(*addrs));
        char why[256] = "";
        int na = px->resolve(f[0], addrs, AUTH_TRAP_ADDRS_MAX, why,
                             sizeof(why));

        if (na < 0)
            diag_add(px->errs, DIAG_ERROR, px->name, lineno, col,
                     "trap host \"%s\" does not resolve: %s", f[0], why);
        for (int k = 0; k < na; k++)
            add_trap(a, addrs[k], f[1], f[2]);
        free(addrs);
    }
    free(copy);
}

struct auth *
auth_parse(const char *name, const char *text, struct diag_list *errs)
{
    return auth_parse_with(name, text, auth_resolve_getaddrinfo, errs);
}

struct auth *
auth_parse_with(const char *name, const char *text, auth_resolve_fn resolve,
                struct diag_list *errs)
{
    const struct auth_parse_ctx px = { name, resolve, errs };
    struct auth *a = xcalloc(1, sizeof(*a));
    size_t nerr0 = diag_count(errs, DIAG_ERROR);
    bool trap = false;
    int lineno = 0;

    for (const char *p = text; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        const char *e = nl != NULL ? nl : p + strlen(p);
        const char *s = p;
        const char *t = e;

        lineno++;
        while (s < t && is_space(*s))
            s++;
        while (t > s && is_space(t[-1]))
            t--;
        if (s < t && *s != '#') {
            size_t len = (size_t)(t - s);
            size_t col0 = (size_t)(s - p);

            /* mon: /^command\s+section/ and /^trap\s+section/ */
            if (is_section(s, len, "command")) {
                trap = false;
            } else if (is_section(s, len, "trap")) {
                trap = true;
            } else if (trap) {
                parse_trap_line(a, &px, lineno, s, len, col0);
            } else {
                parse_cmd_line(a, name, lineno, s, len, col0, errs);
            }
        }
        p = nl != NULL ? nl + 1 : e;
    }
    if (diag_count(errs, DIAG_ERROR) > nerr0) {
        auth_free(a);
        return NULL;
    }
    return a;
}

/* Read a whole small file; NULL with errno (EFBIG past the bound). */
static char *
read_small_file(const char *path)
{
    FILE *fp = fopen(path, "re");
    char *buf;
    size_t n;

    if (fp == NULL)
        return NULL;
    buf = xmalloc(AUTH_FILE_MAX + 1);
    n = fread(buf, 1, AUTH_FILE_MAX + 1, fp);
    if (ferror(fp) || n > AUTH_FILE_MAX) {
        int e = ferror(fp) ? EIO : EFBIG;

        free(buf);
        (void)fclose(fp);
        errno = e;
        return NULL;
    }
    (void)fclose(fp);           /* read-only: nothing to lose */
    buf[n] = '\0';
    return buf;
}

struct auth *
auth_load(const char *path, struct diag_list *errs)
{
    char *text = read_small_file(path);
    struct auth *a;

    if (text == NULL) {
        diag_add(errs, DIAG_ERROR, path, 0, 0, "cannot read: %s",
                 strerror(errno));
        return NULL;
    }
    a = auth_parse(path, text, errs);
    free(text);
    return a;
}

struct auth *
auth_default(void)
{
    static const char text[] =
        "command section\n"
        "ack: AUTH_ANY\nunack: AUTH_ANY\ncheckauth: all\nclear: AUTH_ANY\n"
        "disable: AUTH_ANY\ndump: AUTH_ANY\nenable: AUTH_ANY\n"
        "get: AUTH_ANY\nlist: all\nloadstate: AUTH_ANY\nprotid: all\n"
        "quit: all\nreload: AUTH_ANY\nreset: AUTH_ANY\n"
        "savestate: AUTH_ANY\nservertime: all\nset: AUTH_ANY\n"
        "start: AUTH_ANY\nstop: AUTH_ANY\nterm: AUTH_ANY\n"
        "test: AUTH_ANY\nversion: all\n";
    struct diag_list errs;
    struct auth *a;

    diag_list_init(&errs);
    a = auth_parse("(default auth)", text, &errs);
    diag_list_fini(&errs);
    return a;
}

void
auth_free(struct auth *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->ncmds; i++) {
        free(a->cmds[i].cmd);
        free(a->cmds[i].user);
    }
    for (size_t i = 0; i < a->ntraps; i++) {
        free(a->traps[i].host);
        free(a->traps[i].user);
        free(a->traps[i].hash);
    }
    free(a->cmds);
    free(a->traps);
    free(a);
}

static bool
has_rule(const struct auth *a, const char *cmd, const char *user, bool deny)
{
    for (size_t i = 0; i < a->ncmds; i++)
        if (a->cmds[i].deny == deny && strcmp(a->cmds[i].cmd, cmd) == 0 &&
            strcmp(a->cmds[i].user, user) == 0)
            return true;
    return false;
}

bool
auth_may(const struct auth *a, const char *user, const char *cmd)
{
    if (a == NULL)
        return false;
    if (user != NULL && (has_rule(a, cmd, user, true) ||
                         has_rule(a, cmd, "AUTH_ANY", true)))
        return false;
    if (has_rule(a, cmd, "all", false))
        return true;
    if (user != NULL && (has_rule(a, cmd, "AUTH_ANY", false) ||
                         has_rule(a, cmd, user, false)))
        return true;
    return false;
}

const char *
auth_trap_result_str(enum auth_trap_result r)
{
    switch (r) {
    case AUTH_TRAP_OK: return "accepted";
    case AUTH_TRAP_HOST: return "unauthorized host";
    case AUTH_TRAP_USER: return "unknown user";
    case AUTH_TRAP_PASSWORD: return "bad password";
    }
    return "?";
}

static const struct auth_trap_rule *
find_trap(const struct auth *a, const char *host, const char *user)
{
    /* the last line wins, as mon's $AUTHTRAPS{$host}{$user} = ... */
    for (size_t i = a->ntraps; i > 0; i--)
        if (strcmp(a->traps[i - 1].host, host) == 0 &&
            (user == NULL || strcmp(a->traps[i - 1].user, user) == 0))
            return &a->traps[i - 1];
    return NULL;
}

enum auth_trap_result
auth_trap_check(const struct auth *a, const char *from_ip, const char *user,
                const char *password)
{
    const char *host;
    const struct auth_trap_rule *r;

    if (a == NULL)
        return AUTH_TRAP_HOST;
    host = find_trap(a, "*", NULL) != NULL ? "*" : from_ip;
    if (find_trap(a, host, NULL) == NULL)
        return AUTH_TRAP_HOST;
    if (find_trap(a, host, "*") != NULL)
        return AUTH_TRAP_OK;
    r = find_trap(a, host, user != NULL ? user : "");
    if (r == NULL)
        return AUTH_TRAP_USER;
    if (!auth_password_matches(password != NULL ? password : "", r->hash))
        return AUTH_TRAP_PASSWORD;
    return AUTH_TRAP_OK;
}

/* ---- MD5 (RFC 1321), only for Apache's $apr1$ hashes ---- */

struct md5 {
    uint32_t h[4];
    uint64_t len;
    unsigned char buf[64];
    size_t nbuf;
};

static uint32_t
rol(uint32_t x, int c)
{
    return (x << c) | (x >> (32 - c));
}

static void
md5_block(struct md5 *m, const unsigned char *p)
{
    static const uint32_t k[64] = {
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf,
        0x4787c62a, 0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af,
        0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e,
        0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
        0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6,
        0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
        0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
        0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
        0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039,
        0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244, 0x432aff97,
        0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d,
        0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
        0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
    };
    static const int r[64] = {
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    };
    uint32_t w[16], a = m->h[0], b = m->h[1], c = m->h[2], d = m->h[3];

    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[i * 4] | (uint32_t)p[i * 4 + 1] << 8 |
               (uint32_t)p[i * 4 + 2] << 16 | (uint32_t)p[i * 4 + 3] << 24;
    for (int i = 0; i < 64; i++) {
        uint32_t f, t;
        int g;

        if (i < 16) {
            f = (b & c) | (~b & d);
            g = i;
        } else if (i < 32) {
            f = (d & b) | (~d & c);
            g = (5 * i + 1) % 16;
        } else if (i < 48) {
            f = b ^ c ^ d;
            g = (3 * i + 5) % 16;
        } else {
            f = c ^ (b | ~d);
            g = (7 * i) % 16;
        }
        t = d;
        d = c;
        c = b;
        b = b + rol(a + f + k[i] + w[g], r[i]);
        a = t;
    }
    m->h[0] += a;
    m->h[1] += b;
    m->h[2] += c;
    m->h[3] += d;
}

static void
md5_init(struct md5 *m)
{
    m->h[0] = 0x67452301;
    m->h[1] = 0xefcdab89;
    m->h[2] = 0x98badcfe;
    m->h[3] = 0x10325476;
    m->len = 0;
    m->nbuf = 0;
}

static void
md5_update(struct md5 *m, const void *data, size_t n)
{
    const unsigned char *p = data;

    m->len += n;
    while (n > 0) {
        size_t take = 64 - m->nbuf < n ? 64 - m->nbuf : n;

        memcpy(m->buf + m->nbuf, p, take);
        m->nbuf += take;
        p += take;
        n -= take;
        if (m->nbuf == 64) {
            md5_block(m, m->buf);
            m->nbuf = 0;
        }
    }
}

static void
md5_final(struct md5 *m, unsigned char out[16])
{
    uint64_t bits = m->len * 8;
    unsigned char pad = 0x80, zero = 0, lenb[8];

    md5_update(m, &pad, 1);
    while (m->nbuf != 56)
        md5_update(m, &zero, 1);
    for (int i = 0; i < 8; i++)
        lenb[i] = (unsigned char)(bits >> (8 * i));
    md5_update(m, lenb, 8);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            out[i * 4 + j] = (unsigned char)(m->h[i] >> (8 * j));
}

static void
to64(char **o, uint32_t v, int n)
{
    static const char itoa64[] =
        "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    while (n-- > 0) {
        *(*o)++ = itoa64[v & 0x3f];
        v >>= 6;
    }
}

/* Apache's apr1 (Poul-Henning Kamp's md5crypt with "$apr1$"): out gets
 * "$apr1$salt$hash".  hash is the stored value (for its salt). */
static bool
apr1_crypt(const char *pw, const char *hash, char *out, size_t outlen)
{
    const char *salt = hash + 6;
    const char *se = strchr(salt, '$');
    size_t sl = se != NULL ? (size_t)(se - salt) : strlen(salt);
    size_t pl = strlen(pw);
    unsigned char fin[16];
    struct md5 ctx, alt;
    char *o;

    if (sl > 8)
        sl = 8;
    if (outlen < 6 + sl + 1 + 22 + 1)
        return false;
    md5_init(&ctx);
    md5_update(&ctx, pw, pl);
    md5_update(&ctx, "$apr1$", 6);
    md5_update(&ctx, salt, sl);
    md5_init(&alt);
    md5_update(&alt, pw, pl);
    md5_update(&alt, salt, sl);
    md5_update(&alt, pw, pl);
    md5_final(&alt, fin);
    for (size_t i = pl; i > 0; i -= (i > 16 ? 16 : i))
        md5_update(&ctx, fin, i > 16 ? 16 : i);
    memset(fin, 0, sizeof(fin));
    for (size_t i = pl; i != 0; i >>= 1)
        md5_update(&ctx, (i & 1) ? (const void *)fin : (const void *)pw, 1);
    md5_final(&ctx, fin);
    for (int i = 0; i < 1000; i++) {
        md5_init(&alt);
        if (i & 1)
            md5_update(&alt, pw, pl);
        else
            md5_update(&alt, fin, 16);
        if (i % 3)
            md5_update(&alt, salt, sl);
        if (i % 7)
            md5_update(&alt, pw, pl);
        if (i & 1)
            md5_update(&alt, fin, 16);
        else
            md5_update(&alt, pw, pl);
        md5_final(&alt, fin);
    }
    memcpy(out, "$apr1$", 6);
    memcpy(out + 6, salt, sl);
    o = out + 6 + sl;
    *o++ = '$';
    to64(&o, (uint32_t)fin[0] << 16 | (uint32_t)fin[6] << 8 | fin[12], 4);
    to64(&o, (uint32_t)fin[1] << 16 | (uint32_t)fin[7] << 8 | fin[13], 4);
    to64(&o, (uint32_t)fin[2] << 16 | (uint32_t)fin[8] << 8 | fin[14], 4);
    to64(&o, (uint32_t)fin[3] << 16 | (uint32_t)fin[9] << 8 | fin[15], 4);
    to64(&o, (uint32_t)fin[4] << 16 | (uint32_t)fin[10] << 8 | fin[5], 4);
    to64(&o, fin[11], 2);
    *o = '\0';
    return true;
}

bool
auth_password_matches(const char *plain, const char *hash)
{
    if (hash == NULL || hash[0] == '\0')
        return false;
    if (strncmp(hash, "$apr1$", 6) == 0) {
        char out[64];

        return apr1_crypt(plain, hash, out, sizeof(out)) &&
               strcmp(out, hash) == 0;
    }
    {
        struct crypt_data *cd = xcalloc(1, sizeof(*cd));
        const char *r = crypt_r(plain, hash, cd);
        bool ok = r != NULL && r[0] != '*' && strcmp(r, hash) == 0;

        free(cd);
        return ok;
    }
}

int
auth_userfile_check(const char *path, const char *user, const char *password)
{
    char *text = read_small_file(path);
    int result = 0;

    if (text == NULL)
        return -1;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l != NULL;
         l = strtok_r(NULL, "\n", &save)) {
        char *s = l, *colon, *u_end, *h;

        while (is_space(*s))
            s++;
        if (*s == '#' || *s == '\0')
            continue;
        colon = strchr(l, ':');
        if (colon == NULL)
            continue;
        /* mon: split(/\s*:\s*\/, $_, 2) (the user keeps leading blanks) */
        u_end = colon;
        while (u_end > l && is_space(u_end[-1]))
            u_end--;
        h = colon + 1;
        while (is_space(*h))
            h++;
        for (char *e = h + strlen(h); e > h && is_space(e[-1]); e--)
            e[-1] = '\0';
        *u_end = '\0';
        if (strcmp(l, user) == 0) {
            /* mon keeps the last line for a user */
            result = auth_password_matches(password, h) ? 1 : 0;
        }
    }
    free(text);
    return result;
}

/* PAM conversation: answer prompts as mon's pam_conv_func() does (the
 * user name to echoed prompts, the password to hidden ones, "" to the
 * rest).  PAM frees the answers. */
static int
pam_conv_fn(int n, const struct pam_message **msg,
            struct pam_response **resp, void *appdata)
{
    const struct auth_pam_cred *cr = appdata;
    struct pam_response *r;

    if (n <= 0 || n > PAM_MAX_NUM_MSG)
        return PAM_CONV_ERR;
    r = xcalloc((size_t)n, sizeof(*r));
    for (int i = 0; i < n; i++) {
        const char *ans = "";

        if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
            ans = cr->user;
        else if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
            ans = cr->password;
        r[i].resp = xstrdup(ans);
    }
    *resp = r;
    return PAM_SUCCESS;
}

/* PAM modules (pam_unix) sleep about 2 s after a failure; in mond's one
 * loop that would stall every check, so the delay is taken over and
 * dropped.  Guessing is then not slowed down: serverbind (loopback by
 * default) and auth.cf limit who can try.  A login in a child process
 * would keep the delay without the stall. */
static void
pam_no_delay(int retval, unsigned usec_delay, void *appdata)
{
    (void)retval;
    (void)usec_delay;
    (void)appdata;
}

int
auth_pam_check(const char *service, const char *user, const char *password,
               const char *rhost)
{
    struct auth_pam_cred cr = { user, password };
    const struct pam_conv conv = { pam_conv_fn, &cr };
    pam_handle_t *h = NULL;
    int rc;

    rc = pam_start(service != NULL ? service : AUTH_PAM_SERVICE_DEFAULT,
                   user, &conv, &h);
    if (rc != PAM_SUCCESS)
        return -1;
    rc = pam_set_item(h, PAM_FAIL_DELAY, (const void *)pam_no_delay);
    if (rc == PAM_SUCCESS && rhost != NULL)
        rc = pam_set_item(h, PAM_RHOST, rhost);
    if (rc == PAM_SUCCESS)
        rc = pam_authenticate(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
    (void)pam_end(h, rc);
    return rc == PAM_SUCCESS ? 1 : 0;
}

/* Shadow passwords: getspnam(3) (root or group shadow may read them). */
static bool
shadow_check(const char *user, const char *password)
{
    struct spwd sbuf, *sp = NULL;
    char *buf = xmalloc(AUTH_SHADOW_BUF);
    bool ok;

    ok = getspnam_r(user, &sbuf, buf, AUTH_SHADOW_BUF, &sp) == 0 &&
         sp != NULL && auth_password_matches(password, sp->sp_pwdp);
    free(buf);
    return ok;
}

bool
auth_login(const struct auth_login_cfg *lc, const char *user,
           const char *password, const char *client_ip)
{
    char *types = xstrdup(lc->authtype != NULL ? lc->authtype : "getpwnam");
    bool ok = false;

    /* mon: an empty user, or an empty password for anything but
     * trustlocal, is refused before any method is tried. */
    if (user == NULL || user[0] == '\0') {
        free(types);
        return false;
    }
    for (char *save = NULL, *t = strtok_r(types, " \t", &save);
         t != NULL && !ok; t = strtok_r(NULL, " \t", &save)) {
        if (strcmp(t, "trustlocal") == 0) {
            ok = client_ip != NULL && strcmp(client_ip, "127.0.0.1") == 0;
            continue;
        }
        if (password == NULL || password[0] == '\0')
            continue;
        if (strcmp(t, "userfile") == 0) {
            ok = lc->userfile != NULL &&
                 auth_userfile_check(lc->userfile, user, password) == 1;
        } else if (strcmp(t, "getpwnam") == 0) {
            struct passwd pbuf, *pw = NULL;
            char *buf = xmalloc(AUTH_SHADOW_BUF);

            /* Perl's getpwnam(), which mon calls, returns the shadow
             * hash when the process may read it: so does this. */
            ok = getpwnam_r(user, &pbuf, buf, AUTH_SHADOW_BUF, &pw) == 0 &&
                 pw != NULL &&
                 (shadow_check(user, password) ||
                  auth_password_matches(password, pw->pw_passwd));
            free(buf);
        } else if (strcmp(t, "shadow") == 0) {
            ok = shadow_check(user, password);
        } else if (strcmp(t, "pam") == 0) {
            ok = auth_pam_check(lc->pamservice, user, password,
                                client_ip) == 1;
        }
    }
    free(types);
    return ok;
}
