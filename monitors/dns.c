/*
 * dns.monitor — ask many DNS servers the same question at once (c-ares).
 *
 * Zone mode (--zone Z --master M SERVER...): the SOA of Z from the
 * master and every server; a server fails when its serial differs from
 * the master's, its answer is not authoritative, its rcode is not
 * NOERROR, or it does not answer.  Query mode (--query NAME --type T
 * [--expect V...] SERVER...): a server fails when its answer set of
 * type T differs from the expected set (or is empty, without --expect).
 *
 * Each server gets its own c-ares channel (ares_set_servers_ports), so
 * the answer is known to come from that server; all channels are driven
 * by one poll() loop under one deadline.  The query is sent with
 * ares_send and ARES_FLAG_NOCHECKRESP so that SERVFAIL and REFUSED come
 * back as answers to report instead of being retried elsewhere; a
 * truncated UDP answer is retried over TCP by c-ares itself.
 */
#include "report.h"
#include "resolve.h"

#include <ares.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PROG "dns.monitor"
#define DNS_SERVERS_MAX 10000
#define DNS_EXPECT_MAX 64
#define DNS_VALUES_MAX 64           /* answer records kept per server */
#define DNS_VALUE_MAX 4096          /* bytes of one formatted record */
#define DNS_SHOW_MAX 600            /* answer text in a detail line */
#define DNS_TRIES 3

enum { T_A = 1, T_NS = 2, T_CNAME = 5, T_SOA = 6, T_MX = 15, T_TXT = 16,
       T_AAAA = 28 };

static const struct { const char *name; int type; } dns_types[] = {
    { "A", T_A }, { "AAAA", T_AAAA }, { "MX", T_MX }, { "NS", T_NS },
    { "CNAME", T_CNAME }, { "TXT", T_TXT }, { "SOA", T_SOA },
};

static const char *const rcode_names[16] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
    "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE", "RCODE11",
    "RCODE12", "RCODE13", "RCODE14", "RCODE15",
};

static const char usage_text[] =
"Usage: " PROG " --zone ZONE --master SERVER [OPTIONS] SERVER...\n"
"       " PROG " --query NAME [--type TYPE] [--expect VALUE...] [OPTIONS]"
" SERVER...\n"
"Ask every SERVER (and the master) concurrently, under one deadline.\n"
"A SERVER is a name or address, optionally with a port: host:port,\n"
"[2001:db8::1]:port.\n"
"\n"
"Zone sync mode:\n"
"      --zone ZONE      query the SOA record of ZONE\n"
"      --master SERVER  the master; every SERVER must have its serial\n"
"  A server fails (critical) when its serial differs from the master's,\n"
"  its answer is not authoritative (AA bit clear), its rcode is not\n"
"  NOERROR (SERVFAIL, REFUSED, ...), or it does not answer in time.\n"
"\n"
"Query mode:\n"
"      --query NAME     the name to look up\n"
"      --type TYPE      A, AAAA, MX, NS, CNAME, TXT or SOA (default A)\n"
"      --expect VALUE   an expected record (repeat for a set); the\n"
"                       answer's records of TYPE must be exactly this set.\n"
"                       Forms: A/AAAA an address; MX \"10 mx.example.org\"\n"
"                       or just \"mx.example.org\"; NS/CNAME a name; TXT\n"
"                       the text; SOA the record or just its serial.\n"
"      --aa             the answer must be authoritative\n"
"      --rd             ask for recursion (querying a resolver)\n"
"  A server fails (critical) when it does not answer, its rcode is not\n"
"  NOERROR, or the records differ from --expect (without --expect: when\n"
"  there is no record of TYPE).\n"
"\n"
"Common options:\n"
"  -p, --port PORT      port of servers given without one (default 53)\n"
"  -t, --timeout SECS   overall deadline (default 10)\n"
"  -w, --warn SECS      warning when a server takes SECS or longer\n"
"  -c, --crit SECS      critical when a server takes SECS or longer\n"
"      --tcp            query over TCP only (default: UDP, and TCP when\n"
"                       an answer is truncated)\n"
"  -4, -6               resolve server names to IPv4 / IPv6 only\n"
"  -h, --help           show this help\n"
"\n"
"Output: line 1 the failing servers, sorted, then perfdata SERVER_time\n"
"(seconds); then one line per server: rcode, AA flag, answer, time.\n"
"Exit status: 0 all ok, 1 warning, 2 critical, 3 bad arguments or\n"
"could not check.\n";

struct dns_opts {
    const char *zone, *master, *qname;
    int qtype;
    const char *expect[DNS_EXPECT_MAX];
    size_t nexpect;
    bool need_aa, rd, tcp;
    int port;
    int64_t timeout_ms;
    double warn_s, crit_s;
    int family;
};

struct dns_server {
    const char *arg;                /* as given: the item's name */
    bool is_master;
    int qtype;                      /* the type asked for */
    char host[256];
    int port;
    struct resolve_req rq;
    ares_channel ch;
    bool have_ch, done;
    int64_t t_sent_us, t_done_us;
    int status;                     /* c-ares status of the query */
    bool answered;
    int rcode;
    bool aa;
    char *values[DNS_VALUES_MAX];
    size_t nvalues, nmore;          /* kept; not kept (over the bound) */
    bool have_serial;
    uint32_t serial;
    char err[200];                  /* a malformed answer, a setup error */
};

static int
dns_type_of(const char *s)
{
    for (size_t i = 0; i < sizeof(dns_types) / sizeof(dns_types[0]); i++)
        if (strcasecmp(s, dns_types[i].name) == 0)
            return dns_types[i].type;
    return -1;
}

static const char *
dns_type_name(int t)
{
    for (size_t i = 0; i < sizeof(dns_types) / sizeof(dns_types[0]); i++)
        if (dns_types[i].type == t)
            return dns_types[i].name;
    return "?";
}

static uint32_t
get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

static void
dns_keep(struct dns_server *s, const char *v)
{
    if (s->nvalues == DNS_VALUES_MAX) {
        s->nmore++;
        return;
    }
    s->values[s->nvalues] = strdup(v);
    if (s->values[s->nvalues] == NULL)
        report_fatal("out of memory");
    s->nvalues++;
}

/* Expand the compressed name at p; 0 and the name in out, or -1. */
static int
dns_name(const unsigned char *p, const unsigned char *abuf, int alen,
         char *out, size_t outlen, long *used)
{
    char *n = NULL;
    if (ares_expand_name(p, abuf, alen, &n, used) != ARES_SUCCESS)
        return -1;
    snprintf(out, outlen, "%s", n[0] ? n : ".");
    ares_free_string(n);
    return 0;
}

/* Format one record's data; 0, or -1 when it is malformed. */
static int
dns_format(struct dns_server *s, int type, const unsigned char *rd,
           size_t rdlen, const unsigned char *abuf, int alen, char *out,
           size_t outlen)
{
    char n1[256], n2[256];
    long used, used2;
    int w;
    switch (type) {
    case T_A:
        if (rdlen != 4 || inet_ntop(AF_INET, rd, out, (socklen_t)outlen) == NULL)
            return -1;
        return 0;
    case T_AAAA:
        if (rdlen != 16 ||
            inet_ntop(AF_INET6, rd, out, (socklen_t)outlen) == NULL)
            return -1;
        return 0;
    case T_NS:
    case T_CNAME:
        return dns_name(rd, abuf, alen, out, outlen, &used);
    case T_MX:
        if (rdlen < 3 || dns_name(rd + 2, abuf, alen, n1, sizeof(n1), &used))
            return -1;
        w = snprintf(out, outlen, "%u %s", (unsigned)(rd[0] << 8 | rd[1]),
                     n1);
        return w < 0 || (size_t)w >= outlen ? -1 : 0;
    case T_SOA:
        if (dns_name(rd, abuf, alen, n1, sizeof(n1), &used) == -1 ||
            dns_name(rd + used, abuf, alen, n2, sizeof(n2), &used2) == -1 ||
            (size_t)(used + used2) + 20 > rdlen)
            return -1;
        rd += used + used2;
        w = snprintf(out, outlen, "%s %s %u %u %u %u %u", n1, n2, get32(rd),
                     get32(rd + 4), get32(rd + 8), get32(rd + 12),
                     get32(rd + 16));
        if (w < 0 || (size_t)w >= outlen)
            return -1;
        if (!s->have_serial) {
            s->have_serial = true;
            s->serial = get32(rd);
        }
        return 0;
    case T_TXT: {
        /* The character-strings joined, unprintable bytes as '?'. */
        size_t o = 0, i = 0;
        while (i < rdlen) {
            size_t l = rd[i++];
            if (i + l > rdlen)
                return -1;
            for (size_t k = 0; k < l && o + 1 < outlen; k++) {
                unsigned char ch = rd[i + k];
                out[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
            }
            i += l;
        }
        out[o] = '\0';
        return 0;
    }
    default:
        snprintf(out, outlen, "TYPE%d (%zu bytes)", type, rdlen);
        return 0;
    }
}

/* Read header flags and the records of qtype in the answer section. */
static void
dns_parse(struct dns_server *s, int qtype, const unsigned char *abuf,
          int alen)
{
    if (alen < 12) {
        snprintf(s->err, sizeof(s->err), "answer too short (%d bytes)", alen);
        return;
    }
    s->answered = true;
    s->aa = (abuf[2] & 0x04) != 0;
    s->rcode = abuf[3] & 0x0f;
    unsigned qd = (unsigned)(abuf[4] << 8 | abuf[5]);
    unsigned an = (unsigned)(abuf[6] << 8 | abuf[7]);
    const unsigned char *p = abuf + 12, *end = abuf + alen;
    char name[256];
    long used;
    for (unsigned i = 0; i < qd; i++) {
        if (dns_name(p, abuf, alen, name, sizeof(name), &used) == -1 ||
            p + used + 4 > end)
            goto bad;
        p += used + 4;
    }
    for (unsigned i = 0; i < an; i++) {
        if (dns_name(p, abuf, alen, name, sizeof(name), &used) == -1 ||
            p + used + 10 > end)
            goto bad;
        p += used;
        int type = p[0] << 8 | p[1];
        size_t rdlen = (size_t)(p[8] << 8 | p[9]);
        p += 10;
        if (p + rdlen > end)
            goto bad;
        if (type == qtype) {
            char v[DNS_VALUE_MAX];
            if (dns_format(s, type, p, rdlen, abuf, alen, v, sizeof(v)) == -1)
                goto bad;
            dns_keep(s, v);
        }
        p += rdlen;
    }
    return;
bad:
    snprintf(s->err, sizeof(s->err), "malformed answer");
}

static void
dns_answer_cb(void *arg, int status, int timeouts, unsigned char *abuf,
              int alen)
{
    struct dns_server *s = arg;
    (void)timeouts;
    if (s->done)
        return;
    s->done = true;
    s->t_done_us = mono_us();
    s->status = status;
    if (status == ARES_SUCCESS && abuf != NULL)
        dns_parse(s, s->qtype, abuf, alen);
}

/* --- expectation matching ------------------------------------------- */

/* A name or token compared without case and without a trailing dot. */
static bool
dns_token_eq(const char *a, size_t al, const char *b, size_t bl)
{
    if (al > 1 && a[al - 1] == '.')
        al--;
    if (bl > 1 && b[bl - 1] == '.')
        bl--;
    return al == bl && strncasecmp(a, b, al) == 0;
}

/* Space-separated tokens of want and got equal; with fewer tokens in
 * want, its tokens are compared with the last ones of got (an MX without
 * a preference).  */
static bool
dns_tokens_eq(const char *want, const char *got)
{
    const char *wt[8], *gt[8];
    size_t wl[8], gl[8], nw = 0, ng = 0;
    for (const char *p = want; *p && nw < 8;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        wt[nw] = p;
        while (*p && *p != ' ')
            p++;
        wl[nw] = (size_t)(p - wt[nw]);
        nw++;
    }
    for (const char *p = got; *p && ng < 8;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        gt[ng] = p;
        while (*p && *p != ' ')
            p++;
        gl[ng] = (size_t)(p - gt[ng]);
        ng++;
    }
    if (nw == 0 || nw > ng)
        return false;
    for (size_t i = 0; i < nw; i++)
        if (!dns_token_eq(wt[i], wl[i], gt[ng - nw + i], gl[ng - nw + i]))
            return false;
    return true;
}

static bool
dns_value_match(int type, const char *want, const char *got)
{
    unsigned char a[16], b[16];
    switch (type) {
    case T_A:
    case T_AAAA: {
        int af = type == T_A ? AF_INET : AF_INET6;
        if (inet_pton(af, want, a) != 1 || inet_pton(af, got, b) != 1)
            return false;
        return memcmp(a, b, type == T_A ? 4 : 16) == 0;
    }
    case T_TXT:
        return strcmp(want, got) == 0;
    case T_SOA:
        if (strspn(want, "0123456789") == strlen(want)) {
            /* just the serial: the third field */
            const char *p = got;
            for (int f = 0; f < 2 && p; f++) {
                p = strchr(p, ' ');
                if (p)
                    p++;
            }
            return p && strtoul(p, NULL, 10) == strtoul(want, NULL, 10);
        }
        return dns_tokens_eq(want, got) &&
               strchr(want, ' ') != NULL;   /* the whole record */
    default:
        return dns_tokens_eq(want, got);
    }
}

/* Compare the answer with --expect: text of the difference in diff
 * ("" when the sets are equal). */
static void
dns_compare(const struct dns_opts *o, const struct dns_server *s, char *diff,
            size_t difflen)
{
    size_t off = 0;
    diff[0] = '\0';
    for (size_t i = 0; i < o->nexpect; i++) {
        bool found = false;
        for (size_t j = 0; j < s->nvalues && !found; j++)
            found = dns_value_match(o->qtype, o->expect[i], s->values[j]);
        if (!found && off < difflen)
            off += (size_t)snprintf(diff + off, difflen - off, "%s\"%s\"",
                                    off ? ", " : "missing ", o->expect[i]);
    }
    bool any = false;
    for (size_t j = 0; j < s->nvalues; j++) {
        bool found = false;
        for (size_t i = 0; i < o->nexpect && !found; i++)
            found = dns_value_match(o->qtype, o->expect[i], s->values[j]);
        if (!found && off < difflen) {
            off += (size_t)snprintf(diff + off, difflen - off, "%s\"%s\"",
                                    any ? ", " : off ? "; unexpected "
                                                     : "unexpected ",
                                    s->values[j]);
            any = true;
        }
    }
}

/* --- the loop ---------------------------------------------------------- */

/* Open s's channel to its one server and send the query (copied by
 * c-ares).  0, or -1 with s->err set and no channel: the server is then
 * reported with that reason. */
static int
dns_start(struct dns_server *s, const struct dns_opts *o,
          const unsigned char *qbuf, int qlen, int64_t deadline_ms)
{
    struct ares_options op = { 0 };
    int64_t left = deadline_ms - mono_ms();
    op.flags = ARES_FLAG_NOCHECKRESP | (o->tcp ? ARES_FLAG_USEVC : 0);
    op.tries = DNS_TRIES;
    /* Tries wait t, 2t, 4t: the first retry comes early enough to cover
     * one lost datagram; the deadline ends the rest. */
    op.timeout = (int)(left / 4 > 100 ? left / 4 : 100);
    int st = ares_init_options(&s->ch, &op, ARES_OPT_FLAGS | ARES_OPT_TRIES |
                               ARES_OPT_TIMEOUTMS);
    if (st != ARES_SUCCESS) {
        snprintf(s->err, sizeof(s->err), "c-ares channel: %s",
                 ares_strerror(st));
        return -1;
    }
    s->have_ch = true;
    struct ares_addr_port_node node = { 0 };
    if (s->rq.addr.ss_family == AF_INET) {
        node.family = AF_INET;
        memcpy(&node.addr.addr4,
               &((struct sockaddr_in *)(void *)&s->rq.addr)->sin_addr, 4);
    } else {
        node.family = AF_INET6;
        memcpy(&node.addr.addr6,
               &((struct sockaddr_in6 *)(void *)&s->rq.addr)->sin6_addr, 16);
    }
    node.udp_port = node.tcp_port = s->port;
    st = ares_set_servers_ports(s->ch, &node);
    if (st != ARES_SUCCESS) {
        snprintf(s->err, sizeof(s->err), "c-ares server: %s",
                 ares_strerror(st));
        ares_destroy(s->ch);
        s->have_ch = false;
        return -1;
    }
    s->t_sent_us = mono_us();
    ares_send(s->ch, qbuf, qlen, dns_answer_cb, s);
    return 0;
}

/* Drive every channel from one poll() until all have answered or
 * deadline_ms passes; c-ares calls dns_answer_cb as answers come. */
static void
dns_loop(struct dns_server *sv, size_t n, int64_t deadline_ms)
{
    size_t cap = n * 2 + 16;
    struct pollfd *pfd = malloc(cap * sizeof(*pfd));
    size_t *owner = malloc(cap * sizeof(*owner));
    if (pfd == NULL || owner == NULL)
        report_fatal("out of memory");
    for (;;) {
        size_t np = 0;
        int64_t now = mono_ms();
        if (now >= deadline_ms)
            break;
        struct timeval maxtv = { (deadline_ms - now) / 1000,
                                 ((deadline_ms - now) % 1000) * 1000 };
        int64_t tmo = deadline_ms - now;
        bool pending = false;
        for (size_t i = 0; i < n; i++) {
            struct dns_server *s = &sv[i];
            if (!s->have_ch || s->done)
                continue;
            pending = true;
            ares_socket_t socks[ARES_GETSOCK_MAXNUM];
            int bits = ares_getsock(s->ch, socks, ARES_GETSOCK_MAXNUM);
            for (int k = 0; k < ARES_GETSOCK_MAXNUM; k++) {
                short ev = 0;
                /* not ARES_GETSOCK_WRITABLE: it shifts a signed 1 by 31 */
                if ((unsigned)bits >> k & 1u)
                    ev |= POLLIN;
                if ((unsigned)bits >> (k + ARES_GETSOCK_MAXNUM) & 1u)
                    ev |= POLLOUT;
                if (!ev)
                    continue;
                if (np == cap) {
                    cap *= 2;
                    pfd = realloc(pfd, cap * sizeof(*pfd));
                    owner = realloc(owner, cap * sizeof(*owner));
                    if (pfd == NULL || owner == NULL)
                        report_fatal("out of memory");
                }
                pfd[np] = (struct pollfd){ socks[k], ev, 0 };
                owner[np++] = i;
            }
            struct timeval tv, *tp = ares_timeout(s->ch, &maxtv, &tv);
            int64_t t = tp->tv_sec * 1000 + (tp->tv_usec + 999) / 1000;
            if (t < tmo)
                tmo = t;
        }
        if (!pending)
            break;
        int rc = poll(pfd, np, (int)tmo);
        if (rc == -1 && errno != EINTR)
            report_fatal("poll: %s", strerror(errno));
        for (size_t k = 0; rc > 0 && k < np; k++) {
            short re = pfd[k].revents;
            if (re == 0 || sv[owner[k]].done)
                continue;
            ares_process_fd(sv[owner[k]].ch,
                            (re & (POLLIN | POLLERR | POLLHUP)) ? pfd[k].fd
                                                                : ARES_SOCKET_BAD,
                            (re & POLLOUT) ? pfd[k].fd : ARES_SOCKET_BAD);
        }
        /* Retries and per-try timeouts of every channel. */
        for (size_t i = 0; i < n; i++)
            if (sv[i].have_ch && !sv[i].done)
                ares_process_fd(sv[i].ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    }
    free(pfd);
    free(owner);
}

/* --- reporting ----------------------------------------------------------- */

/* One item for s: its own failures first, then (zone mode) the serial
 * compared with master's, then the time thresholds. */
static void
dns_report(struct report *rep, const struct dns_opts *o,
           const struct dns_server *s, const struct dns_server *master)
{
    enum mon_status st = MON_OK;
    char more[48] = "";
    char via[320] = "";
    if (s->rq.state != RESOLVE_OK) {
        report_item(rep, s->arg, MON_CRIT, "%s", s->rq.err);
        return;
    }
    char num[INET6_ADDRSTRLEN];
    resolve_ntop((const struct sockaddr *)&s->rq.addr, num, sizeof(num));
    snprintf(via, sizeof(via), "%s port %d", num, s->port);
    double secs = s->done ? (double)(s->t_done_us - s->t_sent_us) / 1e6
                          : (double)o->timeout_ms / 1000.0;
    if (!s->done || !s->answered) {
        const char *reason =
            !s->have_ch ? s->err
            : !s->done || s->status == ARES_ECANCELLED
                ? "no answer before the deadline"
            : s->err[0] ? s->err : ares_strerror(s->status);
        if (s->done && s->status == ARES_ETIMEOUT)
            reason = "no answer (timeout)";
        else if (s->done && s->status == ARES_ECONNREFUSED)
            reason = "no answer (connection refused)";
        report_item(rep, s->arg, MON_CRIT, "%s; %.1f ms; %s", reason,
                    secs * 1000.0, via);
        return;
    }
    /* The answer text: the records of the asked type. */
    char ans[DNS_SHOW_MAX];
    size_t off = 0;
    ans[0] = '\0';
    for (size_t i = 0; i < s->nvalues && off + 4 < sizeof(ans); i++)
        off += (size_t)snprintf(ans + off, sizeof(ans) - off, "%s%s",
                                i ? ", " : "", s->values[i]);
    if (off >= sizeof(ans) - 4)
        snprintf(ans + sizeof(ans) - 5, 5, "...");
    if (s->nvalues == 0)
        snprintf(ans, sizeof(ans), "no %s record", dns_type_name(o->qtype));
    if (s->nmore)
        snprintf(more, sizeof(more), " (+%zu more)", s->nmore);

    char reason[DNS_SHOW_MAX] = "";
    if (s->err[0]) {
        st = MON_CRIT;
        snprintf(reason, sizeof(reason), "%s", s->err);
    } else if (s->rcode != 0) {
        st = MON_CRIT;
        snprintf(reason, sizeof(reason), "rcode %s", rcode_names[s->rcode]);
    } else if ((o->zone || o->need_aa) && !s->aa) {
        st = MON_CRIT;
        snprintf(reason, sizeof(reason),
                 "answer not authoritative (AA bit clear)");
    } else if (o->zone && !s->have_serial) {
        st = MON_CRIT;
        snprintf(reason, sizeof(reason), "no SOA record for %s", o->zone);
    } else if (o->zone && s != master && master && master->have_serial &&
               master->answered && master->rcode == 0 &&
               s->serial != master->serial) {
        st = MON_CRIT;
        snprintf(reason, sizeof(reason), "serial %u differs from master %s "
                 "serial %u", s->serial, master->arg, master->serial);
    } else if (!o->zone && o->nexpect > 0) {
        char diff[DNS_SHOW_MAX];
        dns_compare(o, s, diff, sizeof(diff));
        if (diff[0]) {
            st = MON_CRIT;
            snprintf(reason, sizeof(reason), "%s %s: %s", o->qname,
                     dns_type_name(o->qtype), diff);
        }
    } else if (!o->zone && s->nvalues == 0) {
        st = MON_CRIT;
        snprintf(reason, sizeof(reason), "%s: no %s record", o->qname,
                 dns_type_name(o->qtype));
    }
    if (st == MON_OK && !isnan(o->crit_s) && secs >= o->crit_s) {
        st = MON_CRIT;
        snprintf(reason, sizeof(reason), "answer took %.3f s (--crit %g)",
                 secs, o->crit_s);
    } else if (st == MON_OK && !isnan(o->warn_s) && secs >= o->warn_s) {
        st = MON_WARN;
        snprintf(reason, sizeof(reason), "answer took %.3f s (--warn %g)",
                 secs, o->warn_s);
    }
    char serial[64] = "";
    if (o->zone && s->have_serial)
        snprintf(serial, sizeof(serial), "serial %u, ", s->serial);
    report_item(rep, s->arg, st, "%s%s%s %s, %s%s: %s%s; %.1f ms; %s",
                reason, reason[0] ? "; " : "", rcode_names[s->rcode],
                s->aa ? "aa" : "not aa", serial, dns_type_name(o->qtype), ans,
                more, secs * 1000.0, via);
    char label[300];
    snprintf(label, sizeof(label), "%s_time", s->arg);
    report_perf(rep, label, secs, "s", o->warn_s, o->crit_s, 0, NAN);
}

static double
parse_secs(const char *opt, const char *s)
{
    int64_t ms = parse_seconds_ms(s);
    if (ms <= 0)
        report_usage(PROG, "%s: expected a positive number of seconds, got "
                     "\"%s\"", opt, s);
    return (double)ms / 1000.0;
}

int
main(int argc, char **argv)
{
    struct dns_opts o = {
        .qtype = T_A, .port = 53, .timeout_ms = 10000,
        .warn_s = NAN, .crit_s = NAN, .family = AF_UNSPEC,
    };
    enum { OPT_ZONE = 256, OPT_MASTER, OPT_QUERY, OPT_TYPE, OPT_EXPECT,
           OPT_AA, OPT_RD, OPT_TCP };
    static const struct option longopts[] = {
        { "zone", required_argument, NULL, OPT_ZONE },
        { "master", required_argument, NULL, OPT_MASTER },
        { "query", required_argument, NULL, OPT_QUERY },
        { "type", required_argument, NULL, OPT_TYPE },
        { "expect", required_argument, NULL, OPT_EXPECT },
        { "aa", no_argument, NULL, OPT_AA },
        { "rd", no_argument, NULL, OPT_RD },
        { "tcp", no_argument, NULL, OPT_TCP },
        { "port", required_argument, NULL, 'p' },
        { "timeout", required_argument, NULL, 't' },
        { "warn", required_argument, NULL, 'w' },
        { "crit", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    bool type_given = false;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":p:t:w:c:46h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_ZONE:   o.zone = optarg; break;
        case OPT_MASTER: o.master = optarg; break;
        case OPT_QUERY:  o.qname = optarg; break;
        case OPT_TYPE:
            o.qtype = dns_type_of(optarg);
            if (o.qtype == -1)
                report_usage(PROG, "--type: expected A, AAAA, MX, NS, CNAME, "
                             "TXT or SOA, got \"%s\"", optarg);
            type_given = true;
            break;
        case OPT_EXPECT:
            if (o.nexpect == DNS_EXPECT_MAX)
                report_usage(PROG, "--expect: at most %d values",
                             DNS_EXPECT_MAX);
            o.expect[o.nexpect++] = optarg;
            break;
        case OPT_AA:  o.need_aa = true; break;
        case OPT_RD:  o.rd = true; break;
        case OPT_TCP: o.tcp = true; break;
        case 'p': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < 1 || v > 65535)
                report_usage(PROG, "-p: expected a port 1..65535, got \"%s\"",
                             optarg);
            o.port = (int)v;
            break;
        }
        case 't':
            o.timeout_ms = parse_seconds_ms(optarg);
            if (o.timeout_ms <= 0)
                report_usage(PROG, "-t: expected a positive number of "
                             "seconds, got \"%s\"", optarg);
            break;
        case 'w': o.warn_s = parse_secs("-w", optarg); break;
        case 'c': o.crit_s = parse_secs("-c", optarg); break;
        case '4': o.family = AF_INET; break;
        case '6': o.family = AF_INET6; break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case ':':
            report_usage(PROG, "option %s needs a value", argv[optind - 1]);
        default:
            report_usage(PROG, "unknown option %s", argv[optind - 1]);
        }
    }
    if ((o.zone != NULL) == (o.qname != NULL))
        report_usage(PROG, "give either --zone (with --master) or --query");
    if (o.zone && !o.master)
        report_usage(PROG, "--zone needs --master SERVER");
    if (o.zone && (o.nexpect || type_given))
        report_usage(PROG, "--expect and --type belong to --query mode");
    if (o.master && !o.zone)
        report_usage(PROG, "--master belongs to --zone mode");
    if (o.zone)
        o.qtype = T_SOA;
    size_t nargs = (size_t)(argc - optind);
    if (nargs == 0 && !o.master)
        report_usage(PROG, "no server given");
    if (nargs > DNS_SERVERS_MAX)
        report_usage(PROG, "%zu servers, at most %d", nargs, DNS_SERVERS_MAX);

    /* The master first, then the servers (the master once). */
    struct dns_server *sv = calloc(nargs + 1, sizeof(*sv));
    if (sv == NULL)
        report_fatal("out of memory");
    size_t n = 0;
    if (o.master) {
        sv[n].arg = o.master;
        sv[n++].is_master = true;
    }
    for (size_t i = 0; i < nargs; i++) {
        const char *a = argv[optind + (int)i];
        if (o.master && strcmp(a, o.master) == 0)
            continue;
        sv[n++].arg = a;
    }
    for (size_t i = 0; i < n; i++)
        if (resolve_split_hostport(sv[i].arg, sv[i].host, sizeof(sv[i].host),
                                   o.port, &sv[i].port) == -1)
            report_usage(PROG, "bad server \"%s\": expected HOST, HOST:PORT "
                         "or [ADDRESS]:PORT", sv[i].arg);

    int64_t deadline_ms = mono_ms() + o.timeout_ms;
    int ast = ares_library_init(ARES_LIB_INIT_ALL);
    if (ast != ARES_SUCCESS)
        report_fatal("c-ares init: %s", ares_strerror(ast));
    resolve_raise_nofile();
    struct resolve_req *rq = calloc(n, sizeof(*rq));
    if (rq == NULL)
        report_fatal("out of memory");
    for (size_t i = 0; i < n; i++)
        rq[i].name = sv[i].host;
    char msg[256];
    if (resolve_all(rq, n, o.family, deadline_ms, msg, sizeof(msg)) == -1)
        report_fatal("%s", msg);

    unsigned char *qbuf = NULL;
    int qlen = 0;
    const char *qname = o.zone ? o.zone : o.qname;
    int st = ares_create_query(qname, 1 /* IN */, o.qtype, 0, o.rd ? 1 : 0,
                               &qbuf, &qlen, 0);
    if (st != ARES_SUCCESS)
        report_usage(PROG, "cannot build a query for \"%s\": %s", qname,
                     ares_strerror(st));
    for (size_t i = 0; i < n; i++) {
        sv[i].rq = rq[i];
        sv[i].rq.name = sv[i].host;
        sv[i].qtype = o.qtype;
        if (sv[i].rq.state == RESOLVE_OK)
            (void)dns_start(&sv[i], &o, qbuf, qlen, deadline_ms);
    }
    ares_free_string(qbuf);
    dns_loop(sv, n, deadline_ms);
    /* Whatever is left missed the deadline: cancel (its callback runs
     * with ARES_ECANCELLED) and report it so. */
    for (size_t i = 0; i < n; i++)
        if (sv[i].have_ch && !sv[i].done)
            ares_cancel(sv[i].ch);

    struct report rep;
    report_init(&rep);
    const struct dns_server *master = o.master ? &sv[0] : NULL;
    for (size_t i = 0; i < n; i++)
        dns_report(&rep, &o, &sv[i], master);
    int rc = report_finish(&rep, stdout);
    report_fini(&rep);
    for (size_t i = 0; i < n; i++) {
        if (sv[i].have_ch)
            ares_destroy(sv[i].ch);
        for (size_t k = 0; k < sv[i].nvalues; k++)
            free(sv[i].values[k]);
    }
    free(rq);
    free(sv);
    return rc;
}
