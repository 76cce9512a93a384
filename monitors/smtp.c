/*
 * smtp.monitor — check SMTP servers, all at once, under one deadline.
 *
 * Per host: connect, read the 220 banner (multi-line), EHLO, optionally
 * STARTTLS (or implicit TLS with --tls) with certificate checks and a
 * second EHLO, then QUIT.  Any non-2xx reply, a refused connection, a
 * timeout at any step, a banner not matching --expect, or a certificate
 * that fails verification is critical; a certificate within --cert-days
 * of expiry, or a total time over --warn, is a warning.
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
#include <strings.h>
#include <unistd.h>

#define PROG "smtp.monitor"
#define SMTP_TEXT_MAX 1024      /* reply text kept for the report */

static const char usage_text[] =
"Usage: " PROG " [OPTIONS] HOST...\n"
"Check the SMTP servers on every HOST concurrently, under one deadline.\n"
"Each host: connect, 220 banner, EHLO, [STARTTLS, EHLO], QUIT.\n"
"\n"
"Options:\n"
"  -p, --port PORT      TCP port (default 25; 465 with --tls)\n"
"  -t, --timeout SECS   overall deadline for all hosts (default 10)\n"
"      --starttls       require STARTTLS and check the certificate\n"
"      --tls            implicit TLS from the first byte (SMTPS, port 465)\n"
"      --cert-days N    warn when the certificate expires within N days\n"
"      --insecure       do not verify the certificate chain or name\n"
"      --cacert FILE    trust the CA certificates in FILE (PEM)\n"
"  -e, --expect REGEX   the banner must match REGEX (POSIX extended)\n"
"  -H, --ehlo NAME      name sent with EHLO (default: this host's name)\n"
"  -w, --warn SECS      warn when a host's total time exceeds SECS\n"
"  -c, --crit SECS      critical when a host's total time exceeds SECS\n"
"  -4, -6               use IPv4 / IPv6 addresses only\n"
"  -h, --help           show this help\n"
"\n"
"Output: line 1 the failing hosts, sorted, then perfdata (connect,\n"
"banner and total time per host, seconds); then one line per host.\n"
"Exit status: 0 all ok, 1 warning, 2 critical, 3 bad arguments or\n"
"could not check.\n";

enum smtp_state { S_BANNER, S_EHLO, S_STARTTLS, S_EHLO2, S_QUIT };

struct smtp_opts {
    uint16_t port;
    int64_t timeout_ms;
    bool starttls, tls;
    int cert_days;              /* -1: not checked */
    bool have_expect;
    regex_t expect;
    const char *expect_src;
    char ehlo[256];
    double warn_s, crit_s;      /* NAN: not set */
};

struct smtp_host {
    const char *name;
    const struct smtp_opts *o;
    struct report *rep;
    struct netconn *c;
    enum smtp_state st;
    int code;                   /* of the reply being read; 0 = none */
    char text[SMTP_TEXT_MAX];   /* its text, lines joined by '\n' */
    size_t text_len;
    char banner[SMTP_TEXT_MAX];
    bool offers_starttls;
    int64_t t_banner_us;
    int64_t total_us;           /* at the end of the check; -1 before */
    bool finished;              /* reported */
    enum mon_status status;     /* warnings gathered on the way */
    char note[256];
};

static void
smtp_perf(struct smtp_host *h)
{
    char lab[300];
    int64_t tc = netconn_t_connected_us(h->c);
    int64_t tr = netconn_t_resolved_us(h->c);
    if (tc >= 0 && tr >= 0) {
        snprintf(lab, sizeof(lab), "%s_connect", h->name);
        report_perf(h->rep, lab, (double)(tc - tr) / 1e6, "s", NAN, NAN,
                    0, NAN);
    }
    if (h->t_banner_us >= 0) {
        snprintf(lab, sizeof(lab), "%s_banner", h->name);
        report_perf(h->rep, lab, (double)h->t_banner_us / 1e6, "s", NAN,
                    NAN, 0, NAN);
    }
    snprintf(lab, sizeof(lab), "%s_total", h->name);
    report_perf(h->rep, lab, (double)h->total_us / 1e6, "s",
                h->o->warn_s, h->o->crit_s, 0, NAN);
}

/* "connect 0.2 ms, banner 3.1 ms, total 9.8 ms": the steps reached.
 * Ends the check's clock. */
static void
smtp_measures(struct smtp_host *h, char *buf, size_t cap)
{
    int64_t tc = netconn_t_connected_us(h->c);
    int64_t tr = netconn_t_resolved_us(h->c);
    size_t len = 0;
    h->total_us = netconn_elapsed_us(h->c);
    buf[0] = '\0';
    if (tc >= 0 && tr >= 0)
        len += (size_t)snprintf(buf, cap, "connect %.1f ms, ",
                                (double)(tc - tr) / 1e3);
    if (h->t_banner_us >= 0 && len < cap)
        len += (size_t)snprintf(buf + len, cap - len, "banner %.1f ms, ",
                                (double)h->t_banner_us / 1e3);
    if (len < cap)
        snprintf(buf + len, cap - len, "total %.1f ms",
                 (double)h->total_us / 1e3);
}

/* Critical failure: report, add the perfdata we have, close. */
static void smtp_fail(struct smtp_host *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
smtp_fail(struct smtp_host *h, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    if (h->finished)
        return;
    h->finished = true;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char times[128];
    smtp_measures(h, times, sizeof(times));
    report_item(h->rep, h->name, MON_CRIT, "%s; %s", msg, times);
    netconn_done(h->c);
}

static void
smtp_send(struct smtp_host *h, const char *cmd, enum smtp_state next,
          const char *step)
{
    char line[300];
    int n = snprintf(line, sizeof(line), "%s\r\n", cmd);
    h->st = next;
    h->code = 0;
    h->text_len = 0;
    h->text[0] = '\0';
    netconn_set_step(h->c, step);
    (void)netconn_write(h->c, line, (size_t)n);
}

static void
smtp_send_ehlo(struct smtp_host *h, enum smtp_state next, const char *step)
{
    char cmd[280];
    snprintf(cmd, sizeof(cmd), "EHLO %s", h->o->ehlo);
    smtp_send(h, cmd, next, step);
}

/* TLS is up (STARTTLS or implicit): verification and expiry. */
static bool
smtp_check_cert(struct smtp_host *h)
{
    const char *verr = netconn_tls_verify_error(h->c);
    int days;
    bool have_days = netconn_tls_cert_days(h->c, &days) == 0;
    if (verr != NULL) {
        if (have_days && days < 0)
            smtp_fail(h, "certificate verify failed: %s (expired %d days "
                      "ago)", verr, -days);
        else
            smtp_fail(h, "certificate verify failed: %s", verr);
        return false;
    }
    if (!have_days)
        return true;
    if (days < 0) {
        smtp_fail(h, "certificate expired %d days ago", -days);
        return false;
    }
    if (h->o->cert_days >= 0 && days < h->o->cert_days) {
        h->status = MON_WARN;
        snprintf(h->note, sizeof(h->note),
                 "certificate expires in %d days (--cert-days %d)", days,
                 h->o->cert_days);
    } else {
        snprintf(h->note, sizeof(h->note), "certificate expires in %d days",
                 days);
    }
    return true;
}

static void
smtp_ok(struct smtp_host *h)
{
    if (h->finished)
        return;
    h->finished = true;
    char times[128];
    smtp_measures(h, times, sizeof(times));
    double total = (double)h->total_us / 1e6;
    enum mon_status st = h->status;
    char slow[96] = "";
    if (!isnan(h->o->crit_s) && total > h->o->crit_s) {
        st = MON_CRIT;
        snprintf(slow, sizeof(slow), ", slower than --crit %g s",
                 h->o->crit_s);
    } else if (!isnan(h->o->warn_s) && total > h->o->warn_s) {
        if (st == MON_OK)
            st = MON_WARN;
        snprintf(slow, sizeof(slow), ", slower than --warn %g s",
                 h->o->warn_s);
    }
    /* First banner line only: the detail stays one line. */
    char first[256];
    size_t n = strcspn(h->banner, "\n");
    snprintf(first, sizeof(first), "%.*s", (int)(n < 255 ? n : 255),
             h->banner);
    report_item(h->rep, h->name, st,
                "%s%s; %s%s%s%s", first,
                h->o->starttls ? " (STARTTLS)" : h->o->tls ? " (TLS)" : "",
                times, h->note[0] ? "; " : "", h->note, slow);
    netconn_done(h->c);
}

/* A complete reply (code + text) arrived in state h->st. */
static void
smtp_reply(struct smtp_host *h)
{
    bool ok2 = h->code >= 200 && h->code < 300;
    switch (h->st) {
    case S_BANNER:
        h->t_banner_us = netconn_elapsed_us(h->c);
        memcpy(h->banner, h->text, sizeof(h->banner));
        if (h->code != 220) {
            smtp_fail(h, "banner: %d %s", h->code, h->text);
            return;
        }
        if (h->o->have_expect &&
            regexec(&h->o->expect, h->text, 0, NULL, 0) != 0) {
            smtp_fail(h, "banner \"%s\" does not match --expect \"%s\"",
                      h->text, h->o->expect_src);
            return;
        }
        smtp_send_ehlo(h, S_EHLO, "EHLO reply");
        return;
    case S_EHLO:
    case S_EHLO2:
        if (!ok2) {
            smtp_fail(h, "EHLO: %d %s", h->code, h->text);
            return;
        }
        if (h->st == S_EHLO && h->o->starttls) {
            if (!h->offers_starttls) {
                smtp_fail(h, "STARTTLS not offered in the EHLO reply");
                return;
            }
            smtp_send(h, "STARTTLS", S_STARTTLS, "STARTTLS reply");
            return;
        }
        smtp_send(h, "QUIT", S_QUIT, "QUIT reply");
        return;
    case S_STARTTLS:
        if (h->code != 220) {
            smtp_fail(h, "STARTTLS: %d %s", h->code, h->text);
            return;
        }
        netconn_set_step(h->c, "TLS handshake");
        netconn_starttls(h->c);
        return;
    case S_QUIT:
        if (!ok2) {
            smtp_fail(h, "QUIT: %d %s", h->code, h->text);
            return;
        }
        smtp_ok(h);
        return;
    }
}

static void
on_connected(struct netconn *c, void *arg)
{
    struct smtp_host *h = arg;
    if (h->o->tls && !smtp_check_cert(h))
        return;
    h->st = S_BANNER;
    netconn_set_step(c, "banner");
}

static void
on_tls_done(struct netconn *c, void *arg)
{
    struct smtp_host *h = arg;
    (void)c;
    if (!smtp_check_cert(h))
        return;
    h->offers_starttls = false;
    smtp_send_ehlo(h, S_EHLO2, "EHLO reply after STARTTLS");
}

static void
on_readable(struct netconn *c, void *arg)
{
    struct smtp_host *h = arg;
    const char *line;
    size_t len;
    while (netconn_getline(c, &line, &len) == 1) {
        if (len < 3 || !isdigit((unsigned char)line[0]) ||
            !isdigit((unsigned char)line[1]) ||
            !isdigit((unsigned char)line[2]) ||
            (len > 3 && line[3] != ' ' && line[3] != '-')) {
            smtp_fail(h, "malformed reply line \"%.80s\"", line);
            return;
        }
        int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
                   (line[2] - '0');
        const char *txt = len > 4 ? line + 4 : "";
        if (h->code == 0)
            h->code = code;
        /* Join the lines of a multi-line reply with '\n', bounded. */
        int n = snprintf(h->text + h->text_len,
                         sizeof(h->text) - h->text_len, "%s%s",
                         h->text_len ? "\n" : "", txt);
        if (n > 0)
            h->text_len += (size_t)n;
        if (h->text_len >= sizeof(h->text))
            h->text_len = sizeof(h->text) - 1;
        if ((h->st == S_EHLO) && strncasecmp(txt, "STARTTLS", 8) == 0 &&
            (txt[8] == '\0' || txt[8] == ' '))
            h->offers_starttls = true;
        if (len > 3 && line[3] == '-')
            continue;
        smtp_reply(h);
        if (netconn_eof(c) && h->st == S_QUIT)
            break;
    }
    /* Some servers close right after QUIT without a 221: that is fine. */
    if (netconn_eof(c) && h->st == S_QUIT)
        smtp_ok(h);
}

static void
on_fail(struct netconn *c, enum netconn_error e, void *arg)
{
    struct smtp_host *h = arg;
    (void)e;
    if (h->finished)
        return;
    h->finished = true;
    char times[128];
    smtp_measures(h, times, sizeof(times));
    report_item(h->rep, h->name, MON_CRIT, "%s; %s", netconn_errmsg(c),
                times);
}

static const struct netconn_handler smtp_handler = {
    .connected = on_connected,
    .readable = on_readable,
    .tls_done = on_tls_done,
    .fail = on_fail,
};

int
main(int argc, char **argv)
{
    enum { O_STARTTLS = 256, O_TLS, O_CERTDAYS, O_INSECURE, O_CACERT };
    static const struct option longopts[] = {
        { "port", required_argument, NULL, 'p' },
        { "timeout", required_argument, NULL, 't' },
        { "starttls", no_argument, NULL, O_STARTTLS },
        { "tls", no_argument, NULL, O_TLS },
        { "cert-days", required_argument, NULL, O_CERTDAYS },
        { "insecure", no_argument, NULL, O_INSECURE },
        { "cacert", required_argument, NULL, O_CACERT },
        { "expect", required_argument, NULL, 'e' },
        { "ehlo", required_argument, NULL, 'H' },
        { "warn", required_argument, NULL, 'w' },
        { "crit", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct smtp_opts o = { .timeout_ms = 10000, .cert_days = -1,
                           .warn_s = NAN, .crit_s = NAN };
    struct netconn_tls_opts tls = { 0 };
    int port = -1, family = 0, ch;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":p:t:e:H:w:c:46h", longopts,
                             NULL)) != -1) {
        switch (ch) {
        case 'p':
            if ((port = netconn_parse_port(optarg)) < 0)
                report_usage(PROG, "-p: bad port \"%s\"", optarg);
            break;
        case 't':
            if ((o.timeout_ms = parse_seconds_ms(optarg)) < 0)
                report_usage(PROG, "-t: expected a positive number of "
                             "seconds, got \"%s\"", optarg);
            break;
        case O_STARTTLS: o.starttls = true; break;
        case O_TLS: o.tls = true; break;
        case O_CERTDAYS:
            o.cert_days = opt_days(PROG, "--cert-days", optarg);
            break;
        case O_INSECURE: tls.insecure = true; break;
        case O_CACERT: tls.cafile = optarg; break;
        case 'e':
            opt_regex(PROG, "--expect", optarg, &o.expect);
            o.have_expect = true;
            o.expect_src = optarg;
            break;
        case 'H':
            if (strlen(optarg) >= sizeof(o.ehlo) || optarg[0] == '\0' ||
                strpbrk(optarg, " \r\n") != NULL)
                report_usage(PROG, "--ehlo: bad name \"%s\"", optarg);
            snprintf(o.ehlo, sizeof(o.ehlo), "%s", optarg);
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
    if (o.starttls && o.tls)
        report_usage(PROG, "--starttls and --tls exclude each other");
    if (optind >= argc)
        report_usage(PROG, "no host given");
    o.port = (uint16_t)(port > 0 ? port : o.tls ? 465 : 25);
    tls.use = o.tls || o.starttls;
    if (o.ehlo[0] == '\0' && (gethostname(o.ehlo, sizeof(o.ehlo)) != 0 ||
                              o.ehlo[0] == '\0'))
        snprintf(o.ehlo, sizeof(o.ehlo), "localhost");
    o.ehlo[sizeof(o.ehlo) - 1] = '\0';

    int nhosts = argc - optind;
    struct smtp_host *hosts = calloc((size_t)nhosts, sizeof(*hosts));
    if (hosts == NULL)
        report_fatal("out of memory");
    struct report rep;
    report_init(&rep);
    struct netconn_loop *lp =
        netconn_loop_new(o.timeout_ms, family, &tls);
    for (int i = 0; i < nhosts; i++) {
        struct smtp_host *h = &hosts[i];
        h->name = argv[optind + i];
        h->o = &o;
        h->rep = &rep;
        h->t_banner_us = -1;
        h->total_us = -1;
        h->c = netconn_add(lp, h->name, o.port, o.tls, &smtp_handler, h);
    }
    netconn_loop_run(lp);
    /* Perfdata in argument order, whatever order the hosts finished. */
    for (int i = 0; i < nhosts; i++)
        if (hosts[i].total_us >= 0)
            smtp_perf(&hosts[i]);
    int rc = report_finish(&rep, stdout);
    netconn_loop_free(lp);
    report_fini(&rep);
    free(hosts);
    if (o.have_expect)
        regfree(&o.expect);
    return rc;
}
