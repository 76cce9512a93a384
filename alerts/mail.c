/*
 * mail.c — mail.alert: send an alert by SMTP (libcurl), mon's alert
 * contract on the way in, a correct MIME message on the way out.
 *
 *   mail.alert [options] ADDRESS...
 *
 * One message to every recipient in one SMTP transaction.  The outcome
 * for each recipient is read from the server's reply to its RCPT command
 * (libcurl's debug callback sees every reply line): with libcurl's
 * "allow fails" option the transaction goes on when some recipients are
 * refused, so a single unknown address does not stop the others.
 * Exit status (what mond and mon do with it):
 *   0  the message was accepted for every recipient, or the only
 *      refusals were permanent (5xx, each reported on stderr): retrying
 *      cannot help, and retrying would duplicate the mail for the others
 *   1  not delivered: no recipient accepted, a temporary refusal (4xx),
 *      connection, TLS or authentication failure; the scheduler retries
 *   2  bad usage (options, addresses, password file)
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "usage.h"
#include "alertmsg.h"
#include "mime.h"
#include "strbuf.h"

#define PROG "mail.alert"
#define EXIT_DELIVERED 0
#define EXIT_RETRY 1
#define PASSWORD_MAX 1024
#define RCPT_MAX 100
#define REPLY_MAX 200           /* bytes of a server reply kept per rcpt */

extern char **environ;

enum starttls_mode { TLS_DEFAULT, TLS_REQUIRED, TLS_TRY, TLS_NO };

struct rcpt {
    const char *addr;
    int code;                   /* server's reply to RCPT; 0 = none seen */
    char reply[REPLY_MAX];
};

struct session {
    struct rcpt *rcpts;
    size_t nrcpt;
    size_t rcpt_sent;           /* RCPT commands seen so far */
    int awaiting;               /* index of the RCPT awaiting a reply, -1 */
    bool verbose;
    char last_reply[REPLY_MAX];
    const char *msg;            /* message being uploaded */
    size_t msg_len, msg_off;
};

static void
usage(FILE *f)
{
    fprintf(f,
"usage: " PROG " [options] ADDRESS...\n"
"Send a mon/mond alert by mail.  Reads the summary line and the detail\n"
"from stdin and mon's alert arguments and MON_* environment.\n"
"\n"
"options:\n"
"  --smtp URL            SMTP server (default smtp://localhost:25);\n"
"                        smtps://HOST:465 for implicit TLS,\n"
"                        smtp://HOST:587 for submission with STARTTLS;\n"
"                        a path (smtp://HOST/NAME) sets the EHLO name\n"
"  --from ADDRESS        envelope and header sender (default mond@HOSTNAME)\n"
"  --user NAME           SMTP AUTH user; the password comes from\n"
"                        --password-file or $MOND_SMTP_PASSWORD\n"
"  --password-file FILE  first line is the password; must not be\n"
"                        readable by others\n"
"  --starttls MODE       required | try | no (default: try; required\n"
"                        when --user is given on smtp://)\n"
"  --cacert FILE         CA certificates to verify the server with\n"
"  --insecure            do not verify the server's certificate\n"
"  --timeout SECONDS     whole-transaction deadline (default 30)\n"
"  --verbose             print the SMTP dialogue to stderr (AUTH hidden)\n"
"  --help                this text\n"
"mon's alert arguments: -s SERVICE -g GROUP -h HOSTS -t TIME -l SECONDS\n"
"  -u (upalert) -T (trap) -O (trap timeout) -S SUMMARY\n"
"\n"
"exit status:\n"
"  0  accepted for every recipient, or refused only permanently (5xx,\n"
"     reported on stderr)\n"
"  1  not delivered (nothing accepted, a temporary 4xx refusal, network,\n"
"     TLS or authentication failure): retry later\n"
"  2  bad usage\n");
}

/* The password: first line of a file no one else can read. */
static char *
read_password_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        alert_usage(PROG, "--password-file %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0)
        alert_usage(PROG, "--password-file %s: %s", path, strerror(errno));
    if (st.st_mode & S_IROTH)
        alert_usage(PROG, "--password-file %s: readable by others (mode %04o); "
                  "chmod o-r it", path, (unsigned)(st.st_mode & 07777));
    char buf[PASSWORD_MAX + 1];
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            alert_usage(PROG, "--password-file %s: %s", path, strerror(errno));
        if (r == 0 || (n += (size_t)r) >= sizeof(buf) - 1)
            break;
    }
    close(fd);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    if (buf[0] == '\0')
        alert_usage(PROG, "--password-file %s: empty first line", path);
    char *pw = strbuf_xstrdup(buf);
    explicit_bzero(buf, sizeof(buf));
    return pw;
}

static size_t
read_cb(char *ptr, size_t size, size_t nmemb, void *userp)
{
    struct session *s = userp;
    size_t room = size * nmemb, left = s->msg_len - s->msg_off;
    size_t n = left < room ? left : room;
    memcpy(ptr, s->msg + s->msg_off, n);
    s->msg_off += n;
    return n;
}

static bool
is_plain_command(const char *p, size_t n)
{
    static const char *const cmds[] = {
        "EHLO", "HELO", "STARTTLS", "MAIL", "RCPT", "DATA", "QUIT", "RSET",
        "NOOP", "AUTH" };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        size_t l = strlen(cmds[i]);
        if (n >= l && strncmp(p, cmds[i], l) == 0)
            return true;
    }
    return false;
}

/* One reply line from the server: "250 ok" or "250-more". */
static void
on_reply_line(struct session *s, const char *p, size_t n)
{
    while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n'))
        n--;
    if (n < 4 || p[0] < '1' || p[0] > '5')
        return;
    if (p[3] != ' ' && n != 3)
        return;                 /* continuation line: wait for the last */
    size_t keep = n < REPLY_MAX - 1 ? n : REPLY_MAX - 1;
    memcpy(s->last_reply, p, keep);
    s->last_reply[keep] = '\0';
    if (s->awaiting >= 0) {
        struct rcpt *r = &s->rcpts[s->awaiting];
        r->code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
        memcpy(r->reply, s->last_reply, keep + 1);
        s->awaiting = -1;
    }
}

static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *userp)
{
    struct session *s = userp;
    (void)h;
    if (type == CURLINFO_HEADER_OUT) {
        bool rcpt = size >= 8 && strncmp(data, "RCPT TO:", 8) == 0;
        if (rcpt && s->rcpt_sent < s->nrcpt)
            s->awaiting = (int)s->rcpt_sent++;
        else
            s->awaiting = -1;
        if (s->verbose) {
            bool show = is_plain_command(data, size) &&
                        strncmp(data, "AUTH", 4) != 0;
            if (show)
                fprintf(stderr, "> %.*s", (int)size, data);
            else
                fprintf(stderr, "> [hidden]\n");
        }
    } else if (type == CURLINFO_HEADER_IN) {
        const char *p = data, *end = data + size;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p + 1) : (size_t)(end - p);
            if (s->verbose)
                fprintf(stderr, "< %.*s%s", (int)n, p, nl ? "" : "\n");
            on_reply_line(s, p, n);
            p += n;
        }
    } else if (type == CURLINFO_TEXT && s->verbose) {
        fprintf(stderr, "* %.*s", (int)size, data);
    }
    return 0;
}

/* Everything the command line and environment say (strings borrowed from
 * argv and environ, except those marked owned). */
struct mail_opts {
    const char *url, *from, *user, *pwfile, *cacert;
    char *from_owned;           /* owned: the default sender */
    char *password;             /* owned; wiped before free */
    enum starttls_mode tls;
    bool insecure, verbose;
    long timeout_s;
    const char *const *rcpts;
    size_t nrcpt;
};

/* Parse argv into *o and mon's options into *ai; exits 2 on bad usage. */
static void
parse_options(int argc, char **argv, struct mail_opts *o,
              struct alert_info *ai)
{
    enum { O_SMTP = 256, O_FROM, O_USER, O_PWFILE, O_STARTTLS, O_CACERT,
           O_INSECURE, O_TIMEOUT, O_VERBOSE, O_HELP };
    static const struct option longopts[] = {
        { "smtp", required_argument, NULL, O_SMTP },
        { "from", required_argument, NULL, O_FROM },
        { "user", required_argument, NULL, O_USER },
        { "password-file", required_argument, NULL, O_PWFILE },
        { "starttls", required_argument, NULL, O_STARTTLS },
        { "cacert", required_argument, NULL, O_CACERT },
        { "insecure", no_argument, NULL, O_INSECURE },
        { "timeout", required_argument, NULL, O_TIMEOUT },
        { "verbose", no_argument, NULL, O_VERBOSE },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 },
    };
    char err[256];
    int c;

    memset(o, 0, sizeof(*o));
    o->url = "smtp://localhost:25";
    o->tls = TLS_DEFAULT;
    o->timeout_s = 30;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":" ALERT_MON_SHORTOPTS, longopts,
                            NULL)) != -1) {
        int r = alert_mon_option(ai, c, optarg, err, sizeof(err));
        if (r < 0)
            alert_usage(PROG, "%s", err);
        if (r > 0)
            continue;
        switch (c) {
        case O_SMTP: o->url = optarg; break;
        case O_FROM: o->from = optarg; break;
        case O_USER: o->user = optarg; break;
        case O_PWFILE: o->pwfile = optarg; break;
        case O_CACERT: o->cacert = optarg; break;
        case O_INSECURE: o->insecure = true; break;
        case O_VERBOSE: o->verbose = true; break;
        case O_STARTTLS:
            if (strcmp(optarg, "required") == 0)
                o->tls = TLS_REQUIRED;
            else if (strcmp(optarg, "try") == 0)
                o->tls = TLS_TRY;
            else if (strcmp(optarg, "no") == 0)
                o->tls = TLS_NO;
            else
                alert_usage(PROG, "--starttls: expected required, try or no, got "
                          "\"%s\"", optarg);
            break;
        case O_TIMEOUT: {
            char *end;
            errno = 0;
            o->timeout_s = strtol(optarg, &end, 10);
            if (errno || *end || o->timeout_s < 1 || o->timeout_s > 3600)
                alert_usage(PROG, "--timeout: expected 1..3600 seconds, got \"%s\"",
                          optarg);
            break;
        }
        case O_HELP:
            usage(stdout);
            exit(0);
        case ':':
            alert_usage(PROG, "option %s needs a value", argv[optind - 1]);
        default:
            alert_usage(PROG, "unknown option %s", argv[optind - 1]);
        }
    }
    o->rcpts = (const char *const *)argv + optind;
    o->nrcpt = (size_t)(argc - optind);
    if (o->nrcpt == 0)
        alert_usage(PROG, "no recipient ADDRESS given");
    if (o->nrcpt > RCPT_MAX)
        alert_usage(PROG, "more than %d recipients", RCPT_MAX);
    for (size_t i = 0; i < o->nrcpt; i++)
        if (!mime_address_ok(o->rcpts[i]))
            alert_usage(PROG, "recipient \"%s\" is not an address (user@domain, no "
                      "spaces, quotes or angle brackets)", o->rcpts[i]);
    if (o->from == NULL) {
        char host[256];
        if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
            snprintf(host, sizeof(host), "localhost");
        host[sizeof(host) - 1] = '\0';
        struct strbuf b = STRBUF_INIT;
        strbuf_addf(&b, "mond@%s", host);
        o->from_owned = strbuf_take(&b);
        o->from = o->from_owned;
    }
    if (!mime_address_ok(o->from))
        alert_usage(PROG, "--from \"%s\" is not an address", o->from);
    if (strncmp(o->url, "smtp://", 7) != 0 &&
        strncmp(o->url, "smtps://", 8) != 0)
        alert_usage(PROG, "--smtp \"%s\": expected smtp://HOST[:PORT] or "
                  "smtps://HOST[:PORT]", o->url);
    if (o->user != NULL) {
        const char *env = getenv("MOND_SMTP_PASSWORD");
        if (o->pwfile != NULL)
            o->password = read_password_file(o->pwfile);
        else if (env != NULL && *env != '\0')
            o->password = strbuf_xstrdup(env);
        else
            alert_usage(PROG, "--user %s: no password (--password-file FILE or "
                      "$MOND_SMTP_PASSWORD)", o->user);
    } else if (o->pwfile != NULL) {
        alert_usage(PROG, "--password-file needs --user");
    }
    /* A password never crosses the network in clear by default. */
    if (o->tls == TLS_DEFAULT)
        o->tls = o->user != NULL && strncmp(o->url, "smtp://", 7) == 0
                 ? TLS_REQUIRED : TLS_TRY;
}

/* The whole message for ai (caller frees). */
static char *
build_message(const struct mail_opts *o, const struct alert_info *ai)
{
    int64_t now = (int64_t)time(NULL);
    uint64_t rnd = 0;
    if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
        rnd = (uint64_t)now ^ ((uint64_t)getpid() << 32);
    char *subject = alert_subject(ai);
    char *body = alert_body(ai, now);
    char *msgid = mime_message_id(now, (long)getpid(), rnd,
                                  strrchr(o->from, '@') + 1);
    struct mime_mail mm = {
        .from = o->from, .to = o->rcpts, .nto = o->nrcpt,
        .subject = subject, .body = body, .date_wall_s = now,
        .message_id = msgid, .mailer = "mond " PROG " " MOND_VERSION,
    };
    char *msg = mime_build_message(&mm);
    free(subject);
    free(body);
    free(msgid);
    return msg;
}

/* "<addr>" as SMTP wants it (caller frees). */
static char *
angle(const char *addr)
{
    struct strbuf b = STRBUF_INIT;
    strbuf_addf(&b, "<%s>", addr);
    return strbuf_take(&b);
}

/* One SMTP transaction; fills s->rcpts[].code.  Returns curl's result and
 * its error text in errbuf (CURL_ERROR_SIZE bytes). */
static CURLcode
smtp_send(const struct mail_opts *o, struct session *s, char *errbuf)
{
    CURL *h = curl_easy_init();
    if (h == NULL) {
        snprintf(errbuf, CURL_ERROR_SIZE, "libcurl initialisation failed");
        return CURLE_FAILED_INIT;
    }
    struct curl_slist *rl = NULL;
    for (size_t i = 0; i < o->nrcpt; i++) {
        char *a = angle(o->rcpts[i]);
        struct curl_slist *nl = curl_slist_append(rl, a);
        free(a);
        if (nl == NULL)
            abort();
        rl = nl;
    }
    char *mailfrom = angle(o->from);

    curl_easy_setopt(h, CURLOPT_URL, o->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, mailfrom);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rl);
#if LIBCURL_VERSION_NUM >= 0x080200
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT_ALLOWFAILS, 1L);
#else
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
#endif
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, s);
    /* The debug callback is how each RCPT's reply is seen; it only runs
     * with VERBOSE on, and prints only when --verbose asked for it. */
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, s);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, o->timeout_s * 1000L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     (o->timeout_s < 10 ? o->timeout_s : 10) * 1000L);
    curl_easy_setopt(h, CURLOPT_USE_SSL,
                     o->tls == TLS_REQUIRED ? (long)CURLUSESSL_ALL :
                     o->tls == TLS_TRY ? (long)CURLUSESSL_TRY :
                     (long)CURLUSESSL_NONE);
    if (o->cacert != NULL)
        curl_easy_setopt(h, CURLOPT_CAINFO, o->cacert);
    if (o->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (o->user != NULL) {
        curl_easy_setopt(h, CURLOPT_USERNAME, o->user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, o->password);
    }
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    curl_slist_free_all(rl);
    free(mailfrom);
    return rc;
}

/* Report each refused recipient; the exit status (see the top). */
static int
outcome(const struct mail_opts *o, const struct session *s, CURLcode rc,
        const char *errbuf)
{
    size_t accepted = 0, temp = 0, perm = 0;
    for (size_t i = 0; i < s->nrcpt; i++) {
        const struct rcpt *r = &s->rcpts[i];
        if (r->code >= 200 && r->code < 300) {
            accepted++;
        } else if (r->code >= 500) {
            perm++;
            fprintf(stderr, PROG ": %s refused permanently: %s\n", r->addr,
                    r->reply);
        } else if (r->code >= 400) {
            temp++;
            fprintf(stderr, PROG ": %s refused for now: %s\n", r->addr,
                    r->reply);
        }
    }
    if (rc != CURLE_OK) {
        fprintf(stderr, PROG ": %s: not sent: %s%s%s\n", o->url,
                errbuf[0] ? errbuf : curl_easy_strerror(rc),
                s->last_reply[0] ? "; server said: " : "", s->last_reply);
        return EXIT_RETRY;
    }
    if (temp > 0) {
        fprintf(stderr, PROG ": %zu of %zu recipients refused for now; "
                "retry (those accepted may get the alert twice)\n", temp,
                s->nrcpt);
        return EXIT_RETRY;
    }
    if (accepted == 0 && perm > 0)
        return EXIT_RETRY;
    return EXIT_DELIVERED;
}

int
main(int argc, char **argv)
{
    struct alert_info ai;
    struct mail_opts o;

    alert_info_init(&ai);
    parse_options(argc, argv, &o, &ai);
    if (alert_read_stream(&ai, STDIN_FILENO) != 0) {
        fprintf(stderr, PROG ": reading stdin: %s\n", strerror(errno));
        return EXIT_RETRY;
    }
    alert_info_from_env(&ai, environ);

    char *msg = build_message(&o, &ai);
    struct session s = { .nrcpt = o.nrcpt, .awaiting = -1,
                         .verbose = o.verbose, .msg = msg,
                         .msg_len = strlen(msg) };
    s.rcpts = strbuf_xmalloc(o.nrcpt * sizeof(*s.rcpts));
    memset(s.rcpts, 0, o.nrcpt * sizeof(*s.rcpts));
    for (size_t i = 0; i < o.nrcpt; i++)
        s.rcpts[i].addr = o.rcpts[i];

    char errbuf[CURL_ERROR_SIZE] = "";
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc == CURLE_OK)
        rc = smtp_send(&o, &s, errbuf);
    int status = outcome(&o, &s, rc, errbuf);
    curl_global_cleanup();

    if (o.password != NULL) {
        explicit_bzero(o.password, strlen(o.password));
        free(o.password);
    }
    free(o.from_owned);
    free(s.rcpts);
    free(msg);
    alert_info_fini(&ai);
    return status;
}
