/*
 * monctl.c — mond's command-line tool: one program, a table of
 * subcommands (git-style).  Each subcommand is a row of `subcmds[]`: its
 * name, a one-line synopsis and summary for --help, and a function that
 * gets argv from the subcommand's name on and returns the exit status.
 * Adding "status" or "ack" means adding a function and a row.
 *
 * Exit status, shared by every subcommand:
 *   0  success / yes (for `period`: the time is in the period)
 *   1  a negative answer (for `period`: the time is out; for `status`:
 *      something fails; for `state`: the scheduler is stopped; mond
 *      refused a command: its 520 reply)
 *   2  usage error or malformed input (a bad period spec)
 *   3  the command could not be carried out (e.g. mond unreachable)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "monctl_mon.h"
#include "period.h"

enum {
    MONCTL_EXIT_OK = 0,
    MONCTL_EXIT_NO = 1,
    MONCTL_EXIT_USAGE = 2,
    MONCTL_EXIT_FAIL = 3,
};

#define MONCTL_BATCH_LINE_MAX 65536    /* longest --batch input line */
#define MONCTL_BATCH_TIMES_MAX 4096    /* epochs on one --batch line */

struct subcmd {
    const char *name;
    const char *synopsis;       /* arguments, for --help */
    const char *summary;
    int (*run)(int argc, char **argv);
};

static int cmd_period(int argc, char **argv);

static const struct subcmd subcmds[] = {
    { "period", "SPEC [EPOCH]",
      "print in or out: is EPOCH (default now) in the period SPEC?",
      cmd_period },
    { "status", "[--quiet] [--json] [-s HOST] [-p PORT]",
      "every service: state, since, next check, summary; exit 1 if any "
      "fails", monctl_cmd_status },
    { "failures", "[--json]", "the failing services (exit 1 if any)",
      monctl_cmd_failures },
    { "ack", "GROUP SERVICE TEXT...", "acknowledge a failure",
      monctl_cmd_ack },
    { "unack", "GROUP SERVICE", "drop an acknowledgement", monctl_cmd_unack },
    { "disable", "service GROUP SERVICE | host HOST... | watch GROUP",
      "stop checks and alerts", monctl_cmd_disable },
    { "enable", "service GROUP SERVICE | host HOST... | watch GROUP",
      "undo disable", monctl_cmd_enable },
    { "test", "GROUP SERVICE", "run the service's monitor now",
      monctl_cmd_test },
    { "reload", "[auth]", "re-read the config keeping state (or auth.cf)",
      monctl_cmd_reload },
    { "stop", "", "stop the scheduler: no checks, no alerts (mon's stop)",
      monctl_cmd_stop },
    { "start", "", "start the scheduler again", monctl_cmd_start },
    { "state", "[--quiet] [--json]",
      "is the scheduler running? (exit 1 if stopped)", monctl_cmd_state },
    { "trap", "GROUP SERVICE --status N --summary TEXT [--detail TEXT]",
      "send a mon trap (UDP; -p is the trapport)", monctl_cmd_trap },
};
#define NSUBCMDS (sizeof(subcmds) / sizeof(subcmds[0]))

static void
usage(FILE *fp)
{
    fprintf(fp, "usage: monctl [-h] COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < NSUBCMDS; i++)
        fprintf(fp, "  %s%s%s\n      %s\n", subcmds[i].name,
                subcmds[i].synopsis[0] != '\0' ? " " : "",
                subcmds[i].synopsis, subcmds[i].summary);
    fprintf(fp,
            "\n`monctl COMMAND --help` describes a command.\n"
            "\nexit status:\n"
            "  0  success, or yes (period: in)\n"
            "  1  no (period: out; status, failures: something fails;\n"
            "     state: the scheduler is stopped;\n"
            "     other commands: mond refused, reply on stderr)\n"
            "  2  usage error or malformed input (period: bad SPEC)\n"
            "  3  the command could not be carried out (mond "
            "unreachable)\n");
}

/* A whole string of decimal digits as a time_t (Perl's inPeriod takes
 * nothing else). */
static bool
parse_epoch(const char *s, time_t *t)
{
    char *end;
    long long v;

    if (s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *t = (time_t)v;
    return true;
}

/* The spec again with a caret under column col (1-based), tabs kept so
 * the caret lines up; other control characters shown as spaces, UTF-8
 * continuation bytes given no column of their own. */
static void
show_caret(FILE *fp, const char *spec, int col)
{
    size_t n = strlen(spec);

    fputs("  ", fp);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)spec[i];
        fputc(c < 0x20 && c != '\t' ? ' ' : c == 0x7f ? ' ' : c, fp);
    }
    fputs("\n  ", fp);
    for (size_t i = 0; i + 1 < (size_t)col && i < n; i++) {
        unsigned char c = (unsigned char)spec[i];
        if (c >= 0x80 && c < 0xc0)
            continue;
        fputc(c == '\t' ? '\t' : ' ', fp);
    }
    fputs("^\n", fp);
}

/* Undo the --batch escapes (\\ \t \n \r \f \v) in place. */
static bool
unescape(char *s)
{
    char *w = s;

    for (const char *r = s; *r != '\0'; r++) {
        if (*r != '\\') {
            *w++ = *r;
            continue;
        }
        switch (*++r) {
        case '\\': *w++ = '\\'; break;
        case 't': *w++ = '\t'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 'f': *w++ = '\f'; break;
        case 'v': *w++ = '\v'; break;
        default: return false;
        }
    }
    *w = '\0';
    return true;
}

/*
 * --batch (for the differential test against Perl): each stdin line is
 * "SPEC<TAB>EPOCH EPOCH ..." with SPEC escaped as unescape() reads it;
 * each output line is "E<col>" for a spec that does not compile, else
 * one character per epoch, 1 in or 0 out.  Compiles each spec once.
 */
static int
period_batch(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long lineno = 0;
    int rc = MONCTL_EXIT_OK;

    while ((len = getline(&line, &cap, stdin)) != -1) {
        char *tab, *tok, *save = NULL;
        struct period *p;
        const char *errmsg;
        int errcol, ntimes = 0;

        lineno++;
        if (len > MONCTL_BATCH_LINE_MAX) {
            fprintf(stderr, "monctl: period --batch: line %lu longer than "
                    "%d bytes\n", lineno, MONCTL_BATCH_LINE_MAX);
            rc = MONCTL_EXIT_USAGE;
            break;
        }
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        tab = strchr(line, '\t');
        if (tab == NULL || (*tab = '\0', !unescape(line))) {
            fprintf(stderr, "monctl: period --batch: line %lu: expected "
                    "SPEC<TAB>EPOCH..., SPEC escaped with \\\\ \\t \\n "
                    "\\r \\f \\v\n", lineno);
            rc = MONCTL_EXIT_USAGE;
            break;
        }
        p = period_compile(line, &errcol, &errmsg);
        if (p == NULL) {
            printf("E%d\n", errcol);
            continue;
        }
        for (tok = strtok_r(tab + 1, " ", &save); tok != NULL;
             tok = strtok_r(NULL, " ", &save)) {
            time_t t;

            if (!parse_epoch(tok, &t) || ++ntimes > MONCTL_BATCH_TIMES_MAX) {
                fprintf(stderr, "monctl: period --batch: line %lu: bad "
                        "EPOCH \"%s\" or more than %d of them\n", lineno,
                        tok, MONCTL_BATCH_TIMES_MAX);
                rc = MONCTL_EXIT_USAGE;
                break;
            }
            putchar(period_match(p, t) ? '1' : '0');
        }
        putchar('\n');
        period_free(p);
        if (rc != MONCTL_EXIT_OK)
            break;
    }
    free(line);
    if (ferror(stdin)) {
        fprintf(stderr, "monctl: period --batch: reading stdin: %s\n",
                strerror(errno));
        rc = MONCTL_EXIT_FAIL;
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "monctl: period --batch: writing stdout: %s\n",
                strerror(errno));
        rc = MONCTL_EXIT_FAIL;
    }
    return rc;
}

static void
period_usage(FILE *fp)
{
    fprintf(fp,
            "usage: monctl period SPEC [EPOCH]\n"
            "\n"
            "Print \"in\" if EPOCH (seconds since 1970, default now) falls "
            "in the\n"
            "Time::Period SPEC, evaluated in local time (TZ), else "
            "\"out\".\n"
            "Example: monctl period 'wd {Mon-Fri} hr {9am-4pm}' 1709546400\n"
            "\n"
            "exit status:\n"
            "  0  in\n"
            "  1  out\n"
            "  2  malformed SPEC (error, column and caret on stderr) or bad "
            "arguments\n");
}

static int
cmd_period(int argc, char **argv)
{
    struct period *p;
    const char *errmsg;
    int errcol, rc;
    time_t t;

    if (argc == 2 && strcmp(argv[1], "--batch") == 0)
        return period_batch();
    if (argc == 2 && (strcmp(argv[1], "-h") == 0
                      || strcmp(argv[1], "--help") == 0)) {
        period_usage(stdout);
        return MONCTL_EXIT_OK;
    }
    if (argc < 2 || argc > 3) {
        period_usage(stderr);
        return MONCTL_EXIT_USAGE;
    }
    if (argc == 3) {
        if (!parse_epoch(argv[2], &t)) {
            fprintf(stderr, "monctl: period: EPOCH \"%s\" is not a number "
                    "of seconds since 1970\n", argv[2]);
            return MONCTL_EXIT_USAGE;
        }
    } else {
        t = time(NULL);
    }
    p = period_compile(argv[1], &errcol, &errmsg);
    if (p == NULL) {
        fprintf(stderr, "monctl: period:%d: error: %s\n", errcol, errmsg);
        show_caret(stderr, argv[1], errcol);
        return MONCTL_EXIT_USAGE;
    }
    rc = period_match(p, t) ? MONCTL_EXIT_OK : MONCTL_EXIT_NO;
    period_free(p);
    puts(rc == MONCTL_EXIT_OK ? "in" : "out");
    if (fflush(stdout) != 0)
        return MONCTL_EXIT_FAIL;
    return rc;
}

int
main(int argc, char **argv)
{
    tzset();
    if (argc < 2) {
        usage(stderr);
        return MONCTL_EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return MONCTL_EXIT_OK;
    }
    for (size_t i = 0; i < NSUBCMDS; i++)
        if (strcmp(argv[1], subcmds[i].name) == 0)
            return subcmds[i].run(argc - 1, argv + 1);
    fprintf(stderr, "monctl: unknown command \"%s\" (monctl --help lists "
            "them)\n", argv[1]);
    return MONCTL_EXIT_USAGE;
}
