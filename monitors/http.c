/*
 * http.monitor — fetch many URLs at once with one libcurl multi handle,
 * under one deadline.  Checks the status code (--status), the body
 * (--expect), the response time (--warn/--crit), the TLS certificate
 * (verified unless --insecure; --cert-days warns before expiry).
 * A URL is given whole, or as a host that --https/--port/--path turn
 * into one.
 */
#include "netconn.h"
#include "opts.h"
#include "report.h"

#include <curl/curl.h>
#include <getopt.h>
#include <math.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "http.monitor"
#define HTTP_BODY_MAX (1024 * 1024)    /* body bytes kept for --expect */
#define HTTP_STATUS_MAX 32
#define HTTP_REDIRS_MAX 10

static const char usage_text[] =
"Usage: " PROG " [OPTIONS] URL|HOST...\n"
"Fetch every URL (or http://HOST/) concurrently, under one deadline, and\n"
"check status, body, response time and TLS certificate.\n"
"\n"
"Options:\n"
"      --https          build https:// URLs from HOST arguments\n"
"      --port PORT      port for URLs built from HOST arguments\n"
"      --path PATH      path for URLs built from HOST arguments (default /)\n"
"  -t, --timeout SECS   overall deadline for all URLs (default 10)\n"
"  -s, --status LIST    acceptable status codes, comma separated\n"
"                       (default: any 2xx or 3xx)\n"
"  -e, --expect REGEX   the body (first 1 MiB) must match REGEX (POSIX\n"
"                       extended; ^ and $ also match at line breaks)\n"
"  -w, --warn SECS      warn when the response takes longer than SECS\n"
"  -c, --crit SECS      critical when the response takes longer than SECS\n"
"  -L, --follow         follow redirects (at most 10)\n"
"      --insecure       do not verify the TLS certificate chain or name\n"
"      --cacert FILE    trust the CA certificates in FILE (PEM)\n"
"      --cert-days N    warn when the certificate expires within N days\n"
"      --host-header NAME  send \"Host: NAME\" (virtual host; TLS name\n"
"                       checks still use the URL's host)\n"
"  -4, -6               use IPv4 / IPv6 addresses only\n"
"  -h, --help           show this help\n"
"\n"
"Output: line 1 the failing URLs/hosts (as given), sorted, then perfdata\n"
"(time in seconds, size in bytes); then one line per URL.\n"
"Exit status: 0 all ok, 1 warning, 2 critical, 3 bad arguments or\n"
"could not check.\n";

struct http_opts {
    bool https;
    int port;                   /* -1: scheme default */
    const char *path;
    int64_t timeout_ms;
    int status[HTTP_STATUS_MAX];
    size_t nstatus;
    bool have_expect;
    regex_t expect;
    const char *expect_src;
    double warn_s, crit_s;
    bool follow, insecure;
    const char *cacert;
    int cert_days;
    const char *host_header;
    int family;
};

struct http_target {
    const char *name;           /* as given */
    char *url;
    const struct http_opts *o;
    CURL *easy;
    char errbuf[CURL_ERROR_SIZE];
    char *body;
    size_t body_len;
    size_t bytes;               /* all body bytes received */
    bool have_days;
    int cert_days;
    bool finished;
    double total_s;             /* time taken, for the perfdata */
};

static size_t
on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct http_target *t = arg;
    size_t n = size * nmemb;
    t->bytes += n;
    if (t->o->have_expect && t->body_len < HTTP_BODY_MAX) {
        size_t take = n;
        if (take > HTTP_BODY_MAX - t->body_len)
            take = HTTP_BODY_MAX - t->body_len;
        memcpy(t->body + t->body_len, ptr, take);
        t->body_len += take;
        t->body[t->body_len] = '\0';
    }
    return n;
}

/* Each response starts with its status line: take the certificate of
 * the connection it came on (after -L, the last one counts). */
static size_t
on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct http_target *t = arg;
    size_t n = size * nmemb;
    if (n < 5 || memcmp(ptr, "HTTP/", 5) != 0)
        return n;
    const struct curl_tlssessioninfo *ti = NULL;
    if (curl_easy_getinfo(t->easy, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK ||
        ti == NULL || ti->backend != CURLSSLBACKEND_OPENSSL ||
        ti->internals == NULL) {
        t->have_days = false;
        return n;
    }
    X509 *cert = SSL_get1_peer_certificate((SSL *)ti->internals);
    t->have_days = cert != NULL &&
                   netconn_x509_days_left(cert, &t->cert_days) == 0;
    X509_free(cert);
    return n;
}

static double
info_secs(CURL *e, CURLINFO what)
{
    curl_off_t us = 0;
    if (curl_easy_getinfo(e, what, &us) != CURLE_OK)
        return 0;
    return (double)us / 1e6;
}

static void
http_perf(struct report *rep, struct http_target *t)
{
    double total = t->total_s;
    char lab[600];
    snprintf(lab, sizeof(lab), "%s_time", t->name);
    report_perf(rep, lab, total, "s", t->o->warn_s, t->o->crit_s, 0, NAN);
    snprintf(lab, sizeof(lab), "%s_size", t->name);
    report_perf(rep, lab, (double)t->bytes, "B", NAN, NAN, 0, NAN);
}

static bool
status_ok(const struct http_opts *o, long code)
{
    if (o->nstatus == 0)
        return code >= 200 && code < 400;
    for (size_t i = 0; i < o->nstatus; i++)
        if (o->status[i] == code)
            return true;
    return false;
}

static void
status_list(const struct http_opts *o, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    if (o->nstatus == 0) {
        snprintf(buf, cap, "2xx or 3xx");
        return;
    }
    for (size_t i = 0; i < o->nstatus && len < cap; i++) {
        int n = snprintf(buf + len, cap - len, "%s%d", i ? "," : "",
                         o->status[i]);
        if (n < 0)
            break;
        len += (size_t)n;
    }
}

static void http_timeout(struct report *rep, struct http_target *t,
                         double secs);

/* A transfer ended with result rc: judge it and report one item. */
static void
http_judge(struct report *rep, struct http_target *t, CURLcode rc)
{
    const struct http_opts *o = t->o;
    double total = info_secs(t->easy, CURLINFO_TOTAL_TIME_T);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        http_timeout(rep, t, total);
        return;
    }
    t->finished = true;
    if (rc != CURLE_OK) {
        report_item(rep, t->name, MON_CRIT, "%s (after %.1f ms)",
                    t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc),
                    total * 1e3);
        t->total_s = total;
        return;
    }
    long code = 0;
    (void)curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
    enum mon_status st = MON_OK;
    char why[512] = "";
    char slist[200];
    if (!status_ok(o, code)) {
        status_list(o, slist, sizeof(slist));
        st = MON_CRIT;
        snprintf(why, sizeof(why), "; status %ld, expected %s", code, slist);
    } else if (o->have_expect &&
               regexec(&o->expect, t->body ? t->body : "", 0, NULL, 0) != 0) {
        st = MON_CRIT;
        snprintf(why, sizeof(why), "; body does not match --expect \"%s\"",
                 o->expect_src);
    } else if (t->have_days && t->cert_days < 0) {
        st = MON_CRIT;
        snprintf(why, sizeof(why), "; certificate expired %d days ago",
                 -t->cert_days);
    } else if (!isnan(o->crit_s) && total > o->crit_s) {
        st = MON_CRIT;
        snprintf(why, sizeof(why), "; slower than --crit %g s", o->crit_s);
    } else if (t->have_days && o->cert_days >= 0 &&
               t->cert_days < o->cert_days) {
        st = MON_WARN;
        snprintf(why, sizeof(why), "; certificate expires in %d days "
                 "(--cert-days %d)", t->cert_days, o->cert_days);
    } else if (!isnan(o->warn_s) && total > o->warn_s) {
        st = MON_WARN;
        snprintf(why, sizeof(why), "; slower than --warn %g s", o->warn_s);
    } else if (t->have_days) {
        snprintf(why, sizeof(why), "; certificate expires in %d days",
                 t->cert_days);
    }
    double tc = info_secs(t->easy, CURLINFO_CONNECT_TIME_T);
    double ta = info_secs(t->easy, CURLINFO_APPCONNECT_TIME_T);
    double tf = info_secs(t->easy, CURLINFO_STARTTRANSFER_TIME_T);
    char tls[48] = "";
    if (ta > 0)
        snprintf(tls, sizeof(tls), ", TLS %.1f ms", ta * 1e3);
    report_item(rep, t->name, st, "HTTP %ld, %zu bytes in %.1f ms "
                "(connect %.1f ms%s, first byte %.1f ms)%s", code, t->bytes,
                total * 1e3, tc * 1e3, tls, tf * 1e3, why);
    t->total_s = total;
}

/* The deadline passed with t still running: name the step it was in. */
static void
http_timeout(struct report *rep, struct http_target *t, double secs)
{
    const char *step;
    char *url = NULL;
    (void)curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url);
    bool tls = url != NULL && strncmp(url, "https:", 6) == 0;
    if (info_secs(t->easy, CURLINFO_CONNECT_TIME_T) == 0)
        step = "connect";
    else if (tls && info_secs(t->easy, CURLINFO_APPCONNECT_TIME_T) == 0)
        step = "TLS handshake";
    else if (info_secs(t->easy, CURLINFO_STARTTRANSFER_TIME_T) == 0)
        step = "response";
    else
        step = "rest of the body";
    t->finished = true;
    report_item(rep, t->name, MON_CRIT, "timeout after %.2f s waiting for %s",
                secs, step);
    t->total_s = secs;
}

static char *
http_url(const struct http_opts *o, const char *arg)
{
    char *url;
    if (strstr(arg, "://") != NULL)
        url = strdup(arg);
    else {
        bool v6 = strchr(arg, ':') != NULL && arg[0] != '[';
        char port[16] = "";
        if (o->port > 0)
            snprintf(port, sizeof(port), ":%d", o->port);
        const char *path = o->path ? o->path : "/";
        if (asprintf(&url, "%s://%s%s%s%s%s%s", o->https ? "https" : "http",
                     v6 ? "[" : "", arg, v6 ? "]" : "", port,
                     path[0] == '/' ? "" : "/", path) < 0)
            url = NULL;
    }
    if (url == NULL)
        report_fatal("out of memory");
    return url;
}

static void
parse_status(struct http_opts *o, const char *arg)
{
    char *dup = strdup(arg), *save = NULL;
    if (dup == NULL)
        report_fatal("out of memory");
    for (char *tok = strtok_r(dup, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        char *end;
        long v = strtol(tok, &end, 10);
        if (end == tok || *end != '\0' || v < 100 || v > 599)
            report_usage(PROG, "--status: bad status code \"%s\"", tok);
        if (o->nstatus == HTTP_STATUS_MAX)
            report_usage(PROG, "--status: at most %d codes",
                         HTTP_STATUS_MAX);
        o->status[o->nstatus++] = (int)v;
    }
    free(dup);
    if (o->nstatus == 0)
        report_usage(PROG, "--status: no status code in \"%s\"", arg);
}

static void
http_setup(struct http_target *t, struct curl_slist *hdrs)
{
    const struct http_opts *o = t->o;
    CURL *e = curl_easy_init();
    if (e == NULL)
        report_fatal("http.monitor: cannot create a curl handle");
    t->easy = e;
    if (o->have_expect) {
        t->body = malloc(HTTP_BODY_MAX + 1);
        if (t->body == NULL)
            report_fatal("out of memory");
        t->body[0] = '\0';
    }
    /* Option setters only fail on out-of-memory or an unknown option in
     * an old libcurl; a failure shows as a failed transfer below. */
    (void)curl_easy_setopt(e, CURLOPT_URL, t->url);
    (void)curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    (void)curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    (void)curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    (void)curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    (void)curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    /* The loop enforces the deadline and names the step; curl's own
     * timeout is only a backstop a little later. */
    (void)curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms + 500);
    (void)curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, o->follow ? 1L : 0L);
    (void)curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)HTTP_REDIRS_MAX);
    (void)curl_easy_setopt(e, CURLOPT_USERAGENT, "mond http.monitor/"
                           MOND_VERSION);
    (void)curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    (void)curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    (void)curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    (void)curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    (void)curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, o->insecure ? 0L : 1L);
    (void)curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, o->insecure ? 0L : 2L);
    if (o->cacert != NULL)
        (void)curl_easy_setopt(e, CURLOPT_CAINFO, o->cacert);
    if (o->family != 0)
        (void)curl_easy_setopt(e, CURLOPT_IPRESOLVE,
                               o->family == 4 ? CURL_IPRESOLVE_V4
                                              : CURL_IPRESOLVE_V6);
    if (hdrs != NULL)
        (void)curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
}

int
main(int argc, char **argv)
{
    enum { O_HTTPS = 256, O_PORT, O_PATH, O_INSECURE, O_CACERT, O_CERTDAYS,
           O_HOSTHDR };
    static const struct option longopts[] = {
        { "https", no_argument, NULL, O_HTTPS },
        { "port", required_argument, NULL, O_PORT },
        { "path", required_argument, NULL, O_PATH },
        { "timeout", required_argument, NULL, 't' },
        { "status", required_argument, NULL, 's' },
        { "expect", required_argument, NULL, 'e' },
        { "warn", required_argument, NULL, 'w' },
        { "crit", required_argument, NULL, 'c' },
        { "follow", no_argument, NULL, 'L' },
        { "insecure", no_argument, NULL, O_INSECURE },
        { "cacert", required_argument, NULL, O_CACERT },
        { "cert-days", required_argument, NULL, O_CERTDAYS },
        { "host-header", required_argument, NULL, O_HOSTHDR },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct http_opts o = { .port = -1, .timeout_ms = 10000, .cert_days = -1,
                           .warn_s = NAN, .crit_s = NAN };
    int ch;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":t:s:e:w:c:L46h", longopts,
                             NULL)) != -1) {
        switch (ch) {
        case O_HTTPS: o.https = true; break;
        case O_PORT:
            if ((o.port = netconn_parse_port(optarg)) < 0)
                report_usage(PROG, "--port: bad port \"%s\"", optarg);
            break;
        case O_PATH:
            if (strpbrk(optarg, " \r\n") != NULL)
                report_usage(PROG, "--path: bad path \"%s\"", optarg);
            o.path = optarg;
            break;
        case 't':
            if ((o.timeout_ms = parse_seconds_ms(optarg)) < 0)
                report_usage(PROG, "-t: expected a positive number of "
                             "seconds, got \"%s\"", optarg);
            break;
        case 's': parse_status(&o, optarg); break;
        case 'e':
            opt_regex(PROG, "--expect", optarg, &o.expect);
            o.have_expect = true;
            o.expect_src = optarg;
            break;
        case 'w': o.warn_s = opt_seconds(PROG, "--warn", optarg); break;
        case 'c': o.crit_s = opt_seconds(PROG, "--crit", optarg); break;
        case 'L': o.follow = true; break;
        case O_INSECURE: o.insecure = true; break;
        case O_CACERT: o.cacert = optarg; break;
        case O_CERTDAYS:
            o.cert_days = opt_days(PROG, "--cert-days", optarg);
            break;
        case O_HOSTHDR:
            if (optarg[0] == '\0' || strpbrk(optarg, " \r\n") != NULL)
                report_usage(PROG, "--host-header: bad name \"%s\"", optarg);
            o.host_header = optarg;
            break;
        case '4': o.family = 4; break;
        case '6': o.family = 6; break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case ':':
            report_usage(PROG, "option %s needs a value", argv[optind - 1]);
        default:
            report_usage(PROG, "unknown option %s", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        report_usage(PROG, "no URL or host given");
    if (o.cacert != NULL) {
        FILE *f = fopen(o.cacert, "r");
        if (f == NULL)
            report_usage(PROG, "--cacert: cannot read %s", o.cacert);
        (void)fclose(f);
    }

    (void)netconn_raise_nofile();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        report_fatal("http.monitor: cannot initialise libcurl");
    CURLM *multi = curl_multi_init();
    if (multi == NULL)
        report_fatal("http.monitor: cannot create a curl multi handle");
    struct curl_slist *hdrs = NULL;
    if (o.host_header != NULL) {
        char hh[512];
        snprintf(hh, sizeof(hh), "Host: %s", o.host_header);
        if ((hdrs = curl_slist_append(NULL, hh)) == NULL)
            report_fatal("out of memory");
    }

    size_t n = (size_t)(argc - optind);
    struct http_target *tg = calloc(n, sizeof(*tg));
    if (tg == NULL)
        report_fatal("out of memory");
    struct report rep;
    report_init(&rep);
    int64_t start = mono_ms(), deadline = start + o.timeout_ms;
    for (size_t i = 0; i < n; i++) {
        struct http_target *t = &tg[i];
        t->name = argv[optind + (int)i];
        t->o = &o;
        t->url = http_url(&o, t->name);
        http_setup(t, hdrs);
        if (curl_multi_add_handle(multi, t->easy) != CURLM_OK)
            report_fatal("http.monitor: cannot add %s", t->url);
    }

    /* Drive every transfer until all end or the deadline passes. */
    int running = 1;
    while (running > 0) {
        if (curl_multi_perform(multi, &running) != CURLM_OK)
            break;
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE)
                continue;
            struct http_target *t = NULL;
            (void)curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &t);
            if (t != NULL && !t->finished)
                http_judge(&rep, t, m->data.result);
        }
        int64_t now = mono_ms();
        if (running == 0 || now >= deadline)
            break;
        int64_t wait = deadline - now;
        if (wait > 1000)
            wait = 1000;
        if (curl_multi_poll(multi, NULL, 0, (int)wait, NULL) != CURLM_OK)
            break;
    }
    double secs = (double)(mono_ms() - start) / 1e3;
    for (size_t i = 0; i < n; i++)
        if (!tg[i].finished)
            http_timeout(&rep, &tg[i], secs);

    /* Perfdata in argument order, whatever order the transfers ended. */
    for (size_t i = 0; i < n; i++)
        http_perf(&rep, &tg[i]);
    int rc = report_finish(&rep, stdout);
    for (size_t i = 0; i < n; i++) {
        (void)curl_multi_remove_handle(multi, tg[i].easy);
        curl_easy_cleanup(tg[i].easy);
        free(tg[i].url);
        free(tg[i].body);
    }
    curl_multi_cleanup(multi);
    curl_slist_free_all(hdrs);
    curl_global_cleanup();
    report_fini(&rep);
    free(tg);
    if (o.have_expect)
        regfree(&o.expect);
    return rc;
}
