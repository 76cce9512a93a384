/*
 * monctl_mon.c — monctl over mon's client protocol (see monctl_mon.h).
 *
 * One blocking connection per run, with send and receive timeouts, as
 * Mon::Client does: "protid", an optional "login", the command, "quit".
 * A reply is every line up to the first that starts with three digits
 * and a blank; 220 is success, anything else a refusal.
 *
 * Options shared by every subcommand (after its name):
 *   -s HOST  -p PORT  -u USER  --json  -t SECONDS
 * and the password of -u from $MONCTL_PASSWORD.
 */
#include "monctl_mon.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "decide.h"
#include "monproto.h"
#include "trap.h"
#include "xalloc.h"

enum {
    EXIT_OK = 0,
    EXIT_NO = 1,
    EXIT_USAGE = 2,
    EXIT_FAIL = 3,
};

#define REPLY_LINE_MAX (1024 * 1024)     /* longest reply line read */
#define REPLY_LINES_MAX 100000           /* most lines in one reply */
#define OPSTATUS_VARS_MAX 64

struct opts {
    const char *host;
    const char *port;
    const char *user;
    bool json;
    bool quiet;
    int timeout_s;
    /* trap only */
    int status;
    bool has_status;
    const char *summary, *detail;
};

struct conn {
    FILE *in;
    int fd;
    const char *cmdname;
};

struct reply {
    char **lines;               /* data lines, newline stripped */
    size_t n, cap;
    char *last;                 /* the "NNN text" line */
};

static void
reply_free(struct reply *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->lines[i]);
    free(r->lines);
    free(r->last);
    memset(r, 0, sizeof(*r));
}

static const char common_usage[] =
    "options:\n"
    "  -s HOST      mond's address (default 127.0.0.1, or $MONCTL_HOST)\n"
    "  -p PORT      its serverport (default 2583, or $MONCTL_PORT)\n"
    "  -u USER      log in as USER, password from $MONCTL_PASSWORD\n"
    "  -t SECONDS   give up after this long without an answer (10)\n"
    "  --json       machine-readable output\n"
    "\nexit status: 0 done, 1 something fails (status, failures), the\n"
    "scheduler is stopped (state) or the server refused the command,\n"
    "2 usage, 3 mond unreachable\n";

/* Parse the shared options; argv[optind..] are the operands.  Returns
 * -1 after printing usage on a bad option, 1 for --help. */
static int
parse_opts(int argc, char **argv, struct opts *o, const char *synopsis,
           bool trap)
{
    static const struct option longopts[] = {
        { "json", no_argument, NULL, 'j' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { "status", required_argument, NULL, 'S' },
        { "summary", required_argument, NULL, 'M' },
        { "detail", required_argument, NULL, 'D' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    memset(o, 0, sizeof(*o));
    o->host = getenv("MONCTL_HOST") ? getenv("MONCTL_HOST") : "127.0.0.1";
    o->port = getenv("MONCTL_PORT") ? getenv("MONCTL_PORT") : "2583";
    o->timeout_s = 10;
    optind = 0;                 /* reinitialise GNU getopt */
    while ((c = getopt_long(argc, argv, "s:p:u:t:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 's': o->host = optarg; break;
        case 'p': o->port = optarg; break;
        case 'u': o->user = optarg; break;
        case 't':
            o->timeout_s = atoi(optarg);
            if (o->timeout_s <= 0) {
                fprintf(stderr, "monctl: -t wants a positive number of "
                        "seconds, not \"%s\"\n", optarg);
                return -1;
            }
            break;
        case 'j': o->json = true; break;
        case 'q': o->quiet = true; break;
        case 'S': {
            char *end;
            long v = strtol(optarg, &end, 10);

            if (!trap || *end != '\0' || end == optarg || v < 0 || v > 255) {
                fprintf(stderr, "monctl: --status wants an exit status "
                        "0-255, not \"%s\"\n", optarg);
                return -1;
            }
            o->status = (int)v;
            o->has_status = true;
            break;
        }
        case 'M': o->summary = optarg; break;
        case 'D': o->detail = optarg; break;
        case 'h':
            printf("usage: monctl %s\n\n%s", synopsis, common_usage);
            return 1;
        default:
            fprintf(stderr, "usage: monctl %s\n", synopsis);
            return -1;
        }
    }
    if (!trap && (o->summary || o->detail || o->has_status)) {
        fprintf(stderr, "usage: monctl %s\n", synopsis);
        return -1;
    }
    return 0;
}

static int
conn_open(struct conn *c, const struct opts *o, const char *cmdname)
{
    struct addrinfo hints, *res, *ai;
    struct timeval tv = { .tv_sec = o->timeout_s };
    int rc, fd = -1;

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    c->cmdname = cmdname;
    rc = getaddrinfo(o->host, o->port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "monctl: %s: %s port %s: %s\n", cmdname, o->host,
                o->port, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0)
            continue;
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        rc = errno;
        (void)close(fd);
        fd = -1;
        errno = rc;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        fprintf(stderr, "monctl: %s: cannot connect to mond at %s port %s: "
                "%s\n", cmdname, o->host, o->port, strerror(errno));
        return -1;
    }
    c->fd = fd;
    c->in = fdopen(fd, "r");
    if (c->in == NULL) {
        (void)close(fd);
        return -1;
    }
    return 0;
}

static void
conn_close(struct conn *c)
{
    if (c->in != NULL)
        (void)fclose(c->in);        /* closes fd; nothing buffered to lose */
    c->in = NULL;
}

/* Send one command line and read its reply.  0 with r filled (the
 * server may still have refused: see r->last), -1 on I/O failure. */
static int
conn_cmd(struct conn *c, const char *cmd, struct reply *r)
{
    char *line = NULL;
    size_t cap = 0;
    size_t len = strlen(cmd);
    char *buf = xmalloc(len + 2);
    ssize_t n;

    memset(r, 0, sizeof(*r));
    memcpy(buf, cmd, len);
    buf[len] = '\n';
    for (size_t off = 0; off < len + 1;) {
        ssize_t w = send(c->fd, buf + off, len + 1 - off, MSG_NOSIGNAL);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "monctl: %s: sending to mond: %s\n", c->cmdname,
                    strerror(errno));
            free(buf);
            return -1;
        }
        off += (size_t)w;
    }
    free(buf);
    errno = 0;
    while ((n = getline(&line, &cap, c->in)) >= 0) {
        if (n > REPLY_LINE_MAX || r->n >= REPLY_LINES_MAX) {
            fprintf(stderr, "monctl: %s: reply from mond too long\n",
                    c->cmdname);
            free(line);
            return -1;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n >= 4 && line[0] >= '0' && line[0] <= '9' && line[1] >= '0' &&
            line[1] <= '9' && line[2] >= '0' && line[2] <= '9' &&
            (line[3] == ' ' || line[3] == '\t')) {
            r->last = line;
            return 0;
        }
        xgrow((void **)&r->lines, &r->cap, r->n + 1, sizeof(char *));
        r->lines[r->n++] = xstrdup(line);
    }
    free(line);
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        fprintf(stderr, "monctl: %s: no answer from mond in time (-t)\n",
                c->cmdname);
    else
        fprintf(stderr, "monctl: %s: mond closed the connection%s%s\n",
                c->cmdname, errno ? ": " : "", errno ? strerror(errno) : "");
    return -1;
}

static bool
reply_ok(const struct reply *r)
{
    return r->last != NULL && strncmp(r->last, "220", 3) == 0;
}

/* Connect, protid, login if asked.  Exit status on failure, else 0. */
static int
session_start(struct conn *c, const struct opts *o, const char *cmdname)
{
    struct reply r;
    char *cmd;

    if (conn_open(c, o, cmdname) != 0)
        return EXIT_FAIL;
    cmd = xasprintf("protid %d", MONPROTO_PROT_VERSION);
    if (conn_cmd(c, cmd, &r) != 0) {
        free(cmd);
        conn_close(c);
        return EXIT_FAIL;
    }
    free(cmd);
    if (!reply_ok(&r)) {
        fprintf(stderr, "monctl: %s: protocol mismatch: %s\n", cmdname,
                r.last);
        reply_free(&r);
        conn_close(c);
        return EXIT_FAIL;
    }
    reply_free(&r);
    if (o->user != NULL) {
        const char *pw = getenv("MONCTL_PASSWORD");

        if (pw == NULL || pw[0] == '\0' || strpbrk(pw, "\r\n") != NULL ||
            strpbrk(o->user, " \t\r\n") != NULL) {
            fprintf(stderr, "monctl: %s: -u needs $MONCTL_PASSWORD (one "
                    "line) and a user name without blanks\n", cmdname);
            conn_close(c);
            return EXIT_USAGE;
        }
        cmd = xasprintf("login %s %s", o->user, pw);
        if (conn_cmd(c, cmd, &r) != 0) {
            free(cmd);
            conn_close(c);
            return EXIT_FAIL;
        }
        free(cmd);
        if (!reply_ok(&r)) {
            fprintf(stderr, "monctl: %s: %s\n", cmdname, r.last);
            reply_free(&r);
            conn_close(c);
            return EXIT_NO;
        }
        reply_free(&r);
    }
    return 0;
}

static void
session_end(struct conn *c)
{
    struct reply r;

    if (conn_cmd(c, "quit", &r) == 0)
        reply_free(&r);
    conn_close(c);
}

/* One command, its data lines printed (or JSON); exit status. */
static int
simple(const struct opts *o, const char *cmdname, const char *cmd)
{
    struct conn c;
    struct reply r;
    int rc = session_start(&c, o, cmdname);

    if (rc != 0)
        return rc;
    if (conn_cmd(&c, cmd, &r) != 0) {
        conn_close(&c);
        return EXIT_FAIL;
    }
    if (o->json) {
        json_t *j = json_object();
        json_t *lines = json_array();

        for (size_t i = 0; i < r.n; i++)
            json_array_append_new(lines, json_string(r.lines[i]));
        json_object_set_new(j, "ok", json_boolean(reply_ok(&r)));
        json_object_set_new(j, "reply", json_string(r.last));
        json_object_set_new(j, "lines", lines);
        json_dumpf(j, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(j);
    } else {
        for (size_t i = 0; i < r.n; i++)
            puts(r.lines[i]);
        if (!reply_ok(&r))
            fprintf(stderr, "monctl: %s: %s\n", cmdname, r.last);
        else if (!o->quiet)
            puts(r.last + 4);
    }
    rc = reply_ok(&r) ? EXIT_OK : EXIT_NO;
    reply_free(&r);
    session_end(&c);
    return fflush(stdout) == 0 ? rc : EXIT_FAIL;
}

/* ---- status / failures ---- */

struct row {
    struct monproto_var v[OPSTATUS_VARS_MAX];
    size_t n;
};

static const char *
get(const struct row *r, const char *k)
{
    const char *v = monproto_var_get(r->v, r->n, k);

    return v != NULL ? v : "";
}

static bool
is_failure(int opstatus)
{
    return opstatus == OPSTATUS_FAIL || opstatus == OPSTATUS_LINKDOWN ||
           opstatus == OPSTATUS_TIMEOUT;
}

static int
cmp_rows(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    int c = strcmp(get(x, "group"), get(y, "group"));

    return c != 0 ? c : strcmp(get(x, "service"), get(y, "service"));
}

static void
fmt_since(char *buf, size_t len, const char *epoch, time_t now)
{
    long long t = atoll(epoch);
    long long d = (long long)now - t;

    if (t <= 0) {
        snprintf(buf, len, "-");
    } else if (d < 120) {
        snprintf(buf, len, "%llds ago", d < 0 ? 0 : d);
    } else if (d < 7200) {
        snprintf(buf, len, "%lldm ago", d / 60);
    } else if (d < 2 * 86400) {
        snprintf(buf, len, "%lldh ago", d / 3600);
    } else {
        snprintf(buf, len, "%lldd ago", d / 86400);
    }
}

static int
list_services(int argc, char **argv, const char *cmdname, bool failures_only)
{
    struct opts o;
    struct conn c;
    struct reply r;
    struct row *rows;
    size_t nrows = 0;
    bool any_fail = false;
    int rc = parse_opts(argc, argv, &o,
                        failures_only ? "failures [options]"
                        : "status [--quiet] [options]", false);
    time_t now = time(NULL);

    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    if (optind != argc) {
        fprintf(stderr, "monctl: %s: unexpected argument \"%s\"\n", cmdname,
                argv[optind]);
        return EXIT_USAGE;
    }
    rc = session_start(&c, &o, cmdname);
    if (rc != 0)
        return rc;
    if (conn_cmd(&c, failures_only ? "list failures" : "list opstatus",
                 &r) != 0) {
        conn_close(&c);
        return EXIT_FAIL;
    }
    if (!reply_ok(&r)) {
        fprintf(stderr, "monctl: %s: %s\n", cmdname, r.last);
        reply_free(&r);
        session_end(&c);
        return EXIT_NO;
    }
    rows = xcalloc(r.n ? r.n : 1, sizeof(*rows));
    for (size_t i = 0; i < r.n; i++) {
        rows[nrows].n = monproto_parse_vars(r.lines[i], rows[nrows].v,
                                            OPSTATUS_VARS_MAX);
        if (get(&rows[nrows], "group")[0] != '\0')
            nrows++;
        else
            monproto_vars_free(rows[nrows].v, rows[nrows].n);
    }
    qsort(rows, nrows, sizeof(*rows), cmp_rows);
    for (size_t i = 0; i < nrows; i++)
        if (is_failure(atoi(get(&rows[i], "opstatus"))))
            any_fail = true;
    if (o.json) {
        json_t *arr = json_array();

        for (size_t i = 0; i < nrows; i++) {
            json_t *obj = json_object();

            for (size_t k = 0; k < rows[i].n; k++)
                json_object_set_new(obj, rows[i].v[k].name,
                                    json_string(rows[i].v[k].value));
            json_object_set_new(obj, "state", json_string(opstatus_name(
                (enum opstatus)atoi(get(&rows[i], "opstatus")))));
            json_array_append_new(arr, obj);
        }
        json_dumpf(arr, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(arr);
    } else if (!o.quiet) {
        printf("%-16s %-16s %-10s %-10s %-8s %s\n", "GROUP", "SERVICE",
               "STATE", "SINCE", "NEXT", "SUMMARY");
        for (size_t i = 0; i < nrows; i++) {
            const struct row *w = &rows[i];
            int op = atoi(get(w, "opstatus"));
            char state[32], since[32], next[32];
            const char *timer = get(w, "timer");

            snprintf(state, sizeof(state), "%s%s",
                     opstatus_name((enum opstatus)op),
                     atoll(get(w, "ack")) != 0 ? ",ack" : "");
            fmt_since(since, sizeof(since),
                      is_failure(op) ? get(w, "first_failure")
                                     : get(w, "last_success"), now);
            if (get(w, "interval")[0] == '\0')
                snprintf(next, sizeof(next), "-");
            else if (atoi(get(w, "monitor_running")))
                snprintf(next, sizeof(next), "running");
            else
                snprintf(next, sizeof(next), "%ss", timer);
            printf("%-16s %-16s %-10s %-10s %-8s %s\n", get(w, "group"),
                   get(w, "service"), state, since, next,
                   get(w, "last_summary"));
            if (atoll(get(w, "ack")) != 0 && get(w, "ackcomment")[0])
                printf("%-16s %-16s ack: %s\n", "", "", get(w, "ackcomment"));
        }
    }
    for (size_t i = 0; i < nrows; i++)
        monproto_vars_free(rows[i].v, rows[i].n);
    free(rows);
    reply_free(&r);
    session_end(&c);
    if (fflush(stdout) != 0)
        return EXIT_FAIL;
    return any_fail ? EXIT_NO : EXIT_OK;
}

int
monctl_cmd_status(int argc, char **argv)
{
    return list_services(argc, argv, "status", false);
}

int
monctl_cmd_failures(int argc, char **argv)
{
    return list_services(argc, argv, "failures", true);
}

/* ---- actions ---- */

static bool
is_name(const char *s)
{
    return s[0] != '\0' && strpbrk(s, " \t\r\n") == NULL;
}

static int
need_names(const char *cmdname, int n, char **names, const char *synopsis)
{
    for (int i = 0; i < n; i++)
        if (!is_name(names[i])) {
            fprintf(stderr, "monctl: %s: \"%s\" is not a name (usage: "
                    "monctl %s)\n", cmdname, names[i], synopsis);
            return -1;
        }
    return 0;
}

int
monctl_cmd_ack(int argc, char **argv)
{
    static const char syn[] = "ack [options] GROUP SERVICE TEXT...";
    struct opts o;
    int rc = parse_opts(argc, argv, &o, syn, false);
    char *text = NULL, *esc, *cmd;
    size_t tl = 0;

    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    if (argc - optind < 3 || need_names("ack", 2, argv + optind, syn)) {
        fprintf(stderr, "usage: monctl %s\n", syn);
        return EXIT_USAGE;
    }
    for (int i = optind + 2; i < argc; i++) {
        size_t l = strlen(argv[i]);

        text = xrealloc(text, tl + l + 2);
        if (tl)
            text[tl++] = ' ';
        memcpy(text + tl, argv[i], l);
        tl += l;
        text[tl] = '\0';
    }
    esc = monproto_esc(text, true);
    cmd = xasprintf("ack %s %s '%s'", argv[optind], argv[optind + 1], esc);
    rc = simple(&o, "ack", cmd);
    free(esc);
    free(cmd);
    free(text);
    return rc;
}

/* A command on one service: "monctl NAME [options] GROUP SERVICE" sent
 * as "PREFIX GROUP SERVICE". */
static int
group_service_cmd(int argc, char **argv, const char *syn, const char *name,
                  const char *prefix)
{
    struct opts o;
    int rc = parse_opts(argc, argv, &o, syn, false);
    char *cmd;

    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    if (argc - optind != 2 || need_names(name, 2, argv + optind, syn)) {
        fprintf(stderr, "usage: monctl %s\n", syn);
        return EXIT_USAGE;
    }
    cmd = xasprintf("%s %s %s", prefix, argv[optind], argv[optind + 1]);
    rc = simple(&o, name, cmd);
    free(cmd);
    return rc;
}

int
monctl_cmd_unack(int argc, char **argv)
{
    return group_service_cmd(argc, argv, "unack [options] GROUP SERVICE",
                             "unack", "unack");
}

static int
disen(int argc, char **argv, const char *verb)
{
    static const char syn[] =
        "%s [options] service GROUP SERVICE | host HOST... | watch GROUP";
    char synbuf[128];
    struct opts o;
    int rc, nargs;
    const char *what;
    char *cmd;

    snprintf(synbuf, sizeof(synbuf), syn, verb);
    rc = parse_opts(argc, argv, &o, synbuf, false);
    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    nargs = argc - optind;
    what = nargs > 0 ? argv[optind] : "";
    if (!((strcmp(what, "service") == 0 && nargs == 3) ||
          (strcmp(what, "watch") == 0 && nargs == 2) ||
          (strcmp(what, "host") == 0 && nargs >= 2)) ||
        need_names(verb, nargs, argv + optind, synbuf) != 0) {
        fprintf(stderr, "usage: monctl %s\n", synbuf);
        return EXIT_USAGE;
    }
    cmd = xasprintf("%s %s", verb, what);
    for (int i = optind + 1; i < argc; i++) {
        char *n = xasprintf("%s %s", cmd, argv[i]);

        free(cmd);
        cmd = n;
    }
    rc = simple(&o, verb, cmd);
    free(cmd);
    return rc;
}

int
monctl_cmd_disable(int argc, char **argv)
{
    return disen(argc, argv, "disable");
}

int
monctl_cmd_enable(int argc, char **argv)
{
    return disen(argc, argv, "enable");
}

int
monctl_cmd_test(int argc, char **argv)
{
    return group_service_cmd(argc, argv, "test [options] GROUP SERVICE",
                             "test", "test monitor");
}

int
monctl_cmd_reload(int argc, char **argv)
{
    static const char syn[] = "reload [options] [auth]";
    struct opts o;
    int rc = parse_opts(argc, argv, &o, syn, false);

    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    if (argc - optind == 1 && strcmp(argv[optind], "auth") == 0)
        return simple(&o, "reload", "reload auth");
    if (argc != optind) {
        fprintf(stderr, "usage: monctl %s\n", syn);
        return EXIT_USAGE;
    }
    /* the config, keeping the state of services that survive */
    return simple(&o, "reload", "reset keepstate");
}

/* ---- the scheduler: stop, start, state ---- */

/* mon's "stop" / "start": a command without operands. */
static int
bare(int argc, char **argv, const char *verb, const char *syn)
{
    struct opts o;
    int rc = parse_opts(argc, argv, &o, syn, false);

    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    if (argc != optind) {
        fprintf(stderr, "usage: monctl %s\n", syn);
        return EXIT_USAGE;
    }
    return simple(&o, verb, verb);
}

int
monctl_cmd_stop(int argc, char **argv)
{
    return bare(argc, argv, "stop", "stop [options]");
}

int
monctl_cmd_start(int argc, char **argv)
{
    return bare(argc, argv, "start", "start [options]");
}

/*
 * "list state" answers one line, "scheduler running" or "scheduler
 * stopped since EPOCH" (mon's words).  Printed as is, the time also in
 * local time; exit 0 running, 1 stopped, 3 for any other answer.
 */
int
monctl_cmd_state(int argc, char **argv)
{
    static const char syn[] = "state [--quiet] [options]";
    static const char stopped_pfx[] = "scheduler stopped since ";
    struct opts o;
    struct conn c;
    struct reply r;
    long long since = 0;
    bool running;
    int rc = parse_opts(argc, argv, &o, syn, false);

    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    if (argc != optind) {
        fprintf(stderr, "usage: monctl %s\n", syn);
        return EXIT_USAGE;
    }
    rc = session_start(&c, &o, "state");
    if (rc != 0)
        return rc;
    if (conn_cmd(&c, "list state", &r) != 0) {
        conn_close(&c);
        return EXIT_FAIL;
    }
    if (!reply_ok(&r)) {
        fprintf(stderr, "monctl: state: %s\n", r.last);
        reply_free(&r);
        session_end(&c);
        return EXIT_NO;
    }
    running = r.n == 1 && strcmp(r.lines[0], "scheduler running") == 0;
    if (!running) {
        char *end = NULL;

        if (r.n == 1 && strncmp(r.lines[0], stopped_pfx,
                                sizeof(stopped_pfx) - 1) == 0) {
            const char *num = r.lines[0] + sizeof(stopped_pfx) - 1;

            errno = 0;
            since = strtoll(num, &end, 10);
            if (errno != 0 || end == num || *end != '\0')
                end = NULL;
        }
        if (end == NULL) {
            fprintf(stderr, "monctl: state: unexpected answer to \"list "
                    "state\": %s\n", r.n > 0 ? r.lines[0] : r.last);
            reply_free(&r);
            session_end(&c);
            return EXIT_FAIL;
        }
    }
    reply_free(&r);
    session_end(&c);
    if (o.json) {
        if (running)
            printf("{\"running\": true}\n");
        else
            printf("{\"running\": false, \"stopped_since\": %lld}\n",
                   since);
    } else if (!o.quiet) {
        if (running) {
            puts("scheduler running");
        } else {
            time_t t = (time_t)since;
            struct tm tm;
            char buf[64];

            if (localtime_r(&t, &tm) == NULL ||
                strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z",
                         &tm) == 0)
                snprintf(buf, sizeof(buf), "?");
            printf("scheduler stopped since %lld (%s)\n", since, buf);
        }
    }
    if (fflush(stdout) != 0)
        return EXIT_FAIL;
    return running ? EXIT_OK : EXIT_NO;
}

int
monctl_cmd_trap(int argc, char **argv)
{
    static const char syn[] =
        "trap [options] GROUP SERVICE --status N --summary TEXT "
        "[--detail TEXT]";
    struct opts o;
    struct trap_send ts;
    struct addrinfo hints, *res;
    char *pkt;
    size_t len;
    int rc = parse_opts(argc, argv, &o, syn, true), fd, gai;
    ssize_t n;

    if (rc != 0)
        return rc > 0 ? EXIT_OK : EXIT_USAGE;
    if (argc - optind != 2) {
        fprintf(stderr, "usage: monctl %s\n", syn);
        return EXIT_USAGE;
    }
    argv += optind;
    if (!o.has_status || o.summary == NULL ||
        need_names("trap", 2, argv, syn) != 0) {
        fprintf(stderr, "usage: monctl %s\n", syn);
        return EXIT_USAGE;
    }
    memset(&ts, 0, sizeof(ts));
    ts.user = o.user;
    ts.password = o.user != NULL ? getenv("MONCTL_PASSWORD") : NULL;
    ts.group = argv[0];
    ts.service = argv[1];
    ts.retval = o.status;
    ts.opstatus = o.status == 0 ? OPSTATUS_OK : OPSTATUS_FAIL;
    ts.time_s = (int64_t)time(NULL);
    ts.summary = o.summary;
    ts.detail = o.detail != NULL ? o.detail : "";
    pkt = trap_encode(&ts, &len);
    if (len > TRAP_PACKET_MAX) {
        fprintf(stderr, "monctl: trap: packet of %zu bytes is larger than "
                "%d\n", len, TRAP_PACKET_MAX);
        free(pkt);
        return EXIT_USAGE;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_DGRAM;
    gai = getaddrinfo(o.host, o.port, &hints, &res);
    if (gai != 0) {
        fprintf(stderr, "monctl: trap: %s port %s: %s\n", o.host, o.port,
                gai_strerror(gai));
        free(pkt);
        return EXIT_FAIL;
    }
    fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    n = fd < 0 ? -1 : sendto(fd, pkt, len, 0, res->ai_addr,
                             res->ai_addrlen);
    rc = n == (ssize_t)len ? EXIT_OK : EXIT_FAIL;
    if (rc != EXIT_OK)
        fprintf(stderr, "monctl: trap: sending to %s port %s: %s\n", o.host,
                o.port, strerror(errno));
    if (fd >= 0)
        (void)close(fd);
    freeaddrinfo(res);
    free(pkt);
    if (rc == EXIT_OK && o.json)
        printf("{\"sent\": true, \"bytes\": %zu}\n", len);
    return rc;
}
