/*
 * tcp.monitor — connect to TCP ports on many hosts at once, under one
 * deadline; optionally send a string and expect a reply matching a
 * regular expression.  A refused connection, a timeout, or a reply that
 * never matches is critical; a slow host (--warn/--crit) is reported
 * with that severity.
 */
#include "netconn.h"
#include "opts.h"
#include "report.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROG "tcp.monitor"
#define TCP_PORTS_MAX 64
#define TCP_SEND_MAX 4096
#define TCP_SNIPPET 80          /* reply bytes quoted in a detail line */

static const char usage_text[] =
"Usage: " PROG " -p PORT [-p PORT...] [OPTIONS] HOST...\n"
"Connect to every PORT on every HOST concurrently, under one deadline.\n"
"\n"
"Options:\n"
"  -p, --port PORT      TCP port to connect to (repeat for several; required)\n"
"  -t, --timeout SECS   overall deadline for all hosts (default 10)\n"
"  -s, --send STRING    send STRING after connecting (\\r \\n \\t \\\\ \\xHH\n"
"                       are understood)\n"
"  -e, --expect REGEX   the reply must match REGEX (POSIX extended; ^ and $\n"
"                       also match at line breaks) before the deadline;\n"
"                       without it a connect is enough\n"
"      --tls            speak TLS after connecting (certificate verified)\n"
"      --insecure       with --tls: do not verify the certificate\n"
"      --cacert FILE    with --tls: trust the CA certificates in FILE\n"
"      --cert-days N    with --tls: warn when the certificate expires\n"
"                       within N days\n"
"  -w, --warn SECS      warn when a port's total time exceeds SECS\n"
"  -c, --crit SECS      critical when a port's total time exceeds SECS\n"
"  -4, -6               use IPv4 / IPv6 addresses only\n"
"  -h, --help           show this help\n"
"\n"
"Output: line 1 the failing hosts, sorted, then perfdata (time per host\n"
"and port, seconds); then one line per host and port.\n"
"Exit status: 0 all ok, 1 warning, 2 critical, 3 bad arguments or\n"
"could not check.\n";

struct tcp_opts {
    int64_t timeout_ms;
    char send[TCP_SEND_MAX];
    size_t send_len;
    bool have_expect;
    regex_t expect;
    const char *expect_src;
    bool tls;
    int cert_days;
    double warn_s, crit_s;
};

struct tcp_target {
    const char *host;
    uint16_t port;
    const struct tcp_opts *o;
    struct report *rep;
    struct netconn *c;
    bool finished;
    int64_t total_us;               /* when it finished; -1 before */
    char note[160];                 /* a warning found on the way */
    char snippet[TCP_SNIPPET + 1];  /* start of the reply, printable */
};

/* Decode backslash escapes of --send into out; -1 on a bad escape. */
static int
tcp_unescape(const char *s, char *out, size_t cap, size_t *len)
{
    size_t n = 0;
    for (; *s; s++) {
        char ch = *s;
        if (ch == '\\') {
            s++;
            switch (*s) {
            case 'r': ch = '\r'; break;
            case 'n': ch = '\n'; break;
            case 't': ch = '\t'; break;
            case '\\': ch = '\\'; break;
            case 'x':
                if (!isxdigit((unsigned char)s[1]) ||
                    !isxdigit((unsigned char)s[2]))
                    return -1;
                {
                    char hex[3] = { s[1], s[2], '\0' };
                    ch = (char)strtol(hex, NULL, 16);
                }
                s += 2;
                break;
            default:
                return -1;
            }
        }
        if (n >= cap)
            return -1;
        out[n++] = ch;
    }
    *len = n;
    return 0;
}

static void
tcp_snip(struct tcp_target *t, const char *buf, size_t len)
{
    size_t j = 0;
    for (size_t i = 0; i < len && j < TCP_SNIPPET; i++) {
        unsigned char ch = (unsigned char)buf[i];
        t->snippet[j++] = (ch >= 0x20 && ch < 0x7f && ch != '"') ? (char)ch
                                                                  : '.';
    }
    t->snippet[j] = '\0';
}

static void
tcp_perf(struct tcp_target *t)
{
    char lab[300];
    snprintf(lab, sizeof(lab), "%s:%u_time", t->host, t->port);
    report_perf(t->rep, lab, (double)t->total_us / 1e6, "s",
                t->o->warn_s, t->o->crit_s, 0, NAN);
}

static void
tcp_finish(struct tcp_target *t, enum mon_status st, const char *why)
{
    if (t->finished)
        return;
    t->finished = true;
    t->total_us = netconn_elapsed_us(t->c);
    double total = (double)t->total_us / 1e3;
    char slow[96] = "";
    if (st == MON_OK && t->note[0] != '\0') {
        st = MON_WARN;
        why = t->note;
    }
    if (st == MON_OK && !isnan(t->o->crit_s) && total > t->o->crit_s * 1e3) {
        st = MON_CRIT;
        snprintf(slow, sizeof(slow), ", slower than --crit %g s",
                 t->o->crit_s);
    } else if (st == MON_OK && !isnan(t->o->warn_s) &&
               total > t->o->warn_s * 1e3) {
        st = MON_WARN;
        snprintf(slow, sizeof(slow), ", slower than --warn %g s",
                 t->o->warn_s);
    }
    int64_t tc = netconn_t_connected_us(t->c);
    int64_t tr = netconn_t_resolved_us(t->c);
    char conn[64] = "";
    if (tc >= 0 && tr >= 0)
        snprintf(conn, sizeof(conn), "connect %.1f ms, ",
                 (double)(tc - tr) / 1e3);
    report_item(t->rep, t->host, st, "port %u: %s%s%stotal %.1f ms%s%s%s%s",
                t->port, why, why[0] ? "; " : "", conn, total, slow,
                t->snippet[0] ? "; reply \"" : "", t->snippet,
                t->snippet[0] ? "\"" : "");
    netconn_done(t->c);
}

static void
on_connected(struct netconn *c, void *arg)
{
    struct tcp_target *t = arg;
    if (t->o->tls) {
        const char *verr = netconn_tls_verify_error(c);
        int days;
        bool have = netconn_tls_cert_days(c, &days) == 0;
        char why[200];
        if (verr != NULL) {
            snprintf(why, sizeof(why), "certificate verify failed: %s", verr);
            tcp_finish(t, MON_CRIT, why);
            return;
        }
        if (have && days < 0) {
            snprintf(why, sizeof(why), "certificate expired %d days ago",
                     -days);
            tcp_finish(t, MON_CRIT, why);
            return;
        }
        if (have && t->o->cert_days >= 0 && days < t->o->cert_days)
            snprintf(t->note, sizeof(t->note), "certificate expires in %d "
                     "days (--cert-days %d)", days, t->o->cert_days);
    }
    if (t->o->send_len > 0)
        (void)netconn_write(c, t->o->send, t->o->send_len);
    if (!t->o->have_expect) {
        tcp_finish(t, MON_OK, "");
        return;
    }
    netconn_set_step(c, "a reply matching --expect");
}

static void
on_readable(struct netconn *c, void *arg)
{
    struct tcp_target *t = arg;
    size_t len;
    const char *buf = netconn_input(c, &len);
    tcp_snip(t, buf, len);
    if (regexec(&t->o->expect, buf, 0, NULL, 0) == 0)
        tcp_finish(t, MON_OK, "");
}

static void
on_tls_done(struct netconn *c, void *arg)
{
    (void)c;
    (void)arg;
}

static void
on_fail(struct netconn *c, enum netconn_error e, void *arg)
{
    (void)e;
    tcp_finish(arg, MON_CRIT, netconn_errmsg(c));
}

static const struct netconn_handler tcp_handler = {
    .connected = on_connected,
    .readable = on_readable,
    .tls_done = on_tls_done,
    .fail = on_fail,
};

int
main(int argc, char **argv)
{
    enum { O_TLS = 256, O_INSECURE, O_CACERT, O_CERTDAYS };
    static const struct option longopts[] = {
        { "port", required_argument, NULL, 'p' },
        { "timeout", required_argument, NULL, 't' },
        { "send", required_argument, NULL, 's' },
        { "expect", required_argument, NULL, 'e' },
        { "tls", no_argument, NULL, O_TLS },
        { "insecure", no_argument, NULL, O_INSECURE },
        { "cacert", required_argument, NULL, O_CACERT },
        { "cert-days", required_argument, NULL, O_CERTDAYS },
        { "warn", required_argument, NULL, 'w' },
        { "crit", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct tcp_opts o = { .timeout_ms = 10000, .cert_days = -1,
                          .warn_s = NAN, .crit_s = NAN };
    struct netconn_tls_opts tls = { 0 };
    uint16_t ports[TCP_PORTS_MAX];
    size_t nports = 0;
    int family = 0, ch;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":p:t:s:e:w:c:46h", longopts,
                             NULL)) != -1) {
        switch (ch) {
        case 'p': {
            int p = netconn_parse_port(optarg);
            if (p < 0)
                report_usage(PROG, "-p: bad port \"%s\"", optarg);
            if (nports == TCP_PORTS_MAX)
                report_usage(PROG, "-p: at most %d ports", TCP_PORTS_MAX);
            ports[nports++] = (uint16_t)p;
            break;
        }
        case 't':
            if ((o.timeout_ms = parse_seconds_ms(optarg)) < 0)
                report_usage(PROG, "-t: expected a positive number of "
                             "seconds, got \"%s\"", optarg);
            break;
        case 's':
            if (tcp_unescape(optarg, o.send, sizeof(o.send), &o.send_len) < 0)
                report_usage(PROG, "--send: bad escape or longer than %d "
                             "bytes: \"%s\"", TCP_SEND_MAX, optarg);
            break;
        case 'e':
            opt_regex(PROG, "--expect", optarg, &o.expect);
            o.have_expect = true;
            o.expect_src = optarg;
            break;
        case O_TLS: o.tls = true; break;
        case O_INSECURE: tls.insecure = true; break;
        case O_CACERT: tls.cafile = optarg; break;
        case O_CERTDAYS:
            o.cert_days = opt_days(PROG, "--cert-days", optarg);
            break;
        case 'w': o.warn_s = opt_seconds(PROG, "--warn", optarg); break;
        case 'c': o.crit_s = opt_seconds(PROG, "--crit", optarg); break;
        case '4': family = 4; break;
        case '6': family = 6; break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case ':':
            report_usage(PROG, "option %s needs a value", argv[optind - 1]);
        default:
            report_usage(PROG, "unknown option %s", argv[optind - 1]);
        }
    }
    if (tls.cafile != NULL && access(tls.cafile, R_OK) != 0)
        report_usage(PROG, "--cacert: cannot read %s: %s", tls.cafile,
                     strerror(errno));
    if (nports == 0)
        report_usage(PROG, "no port given (-p PORT)");
    if (optind >= argc)
        report_usage(PROG, "no host given");

    tls.use = o.tls;
    size_t nhosts = (size_t)(argc - optind);
    struct tcp_target *tg = calloc(nhosts * nports, sizeof(*tg));
    if (tg == NULL)
        report_fatal("out of memory");
    struct report rep;
    report_init(&rep);
    struct netconn_loop *lp =
        netconn_loop_new(o.timeout_ms, family, &tls);
    for (size_t i = 0; i < nhosts; i++) {
        for (size_t j = 0; j < nports; j++) {
            struct tcp_target *t = &tg[i * nports + j];
            t->host = argv[optind + (int)i];
            t->port = ports[j];
            t->o = &o;
            t->rep = &rep;
            t->total_us = -1;
            t->c = netconn_add(lp, t->host, t->port, o.tls, &tcp_handler, t);
        }
    }
    netconn_loop_run(lp);
    /* Perfdata in argument order, whatever order the checks finished. */
    for (size_t i = 0; i < nhosts * nports; i++)
        if (tg[i].total_us >= 0)
            tcp_perf(&tg[i]);
    int rc = report_finish(&rep, stdout);
    netconn_loop_free(lp);
    report_fini(&rep);
    free(tg);
    if (o.have_expect)
        regfree(&o.expect);
    return rc;
}
