/*
 * file.c — file.alert: append each alert to a file in the format of mon's
 * own file.alert, so existing log readers keep working:
 *
 *   TYPE GROUP SERVICE TIME (Wdy Mon D HH:MM:SS) SUMMARY
 *   DESCR=description
 *   OPSTATUS=opstatus
 *   detail lines...
 *   .
 *
 * TYPE is $MON_ALERTTYPE ("UNKNOWN ALERT" when unset), as mon writes it.
 * The whole record is built first and written under an exclusive flock(2)
 * with one O_APPEND write loop, so records of concurrent alerts never
 * interleave (readers that also take the lock never see half a record).
 * Exit 0 written and synced, 1 could not write (retry), 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "alertmsg.h"
#include "strbuf.h"
#include "usage.h"

#define PROG "file.alert"
#define EXIT_DELIVERED 0
#define EXIT_RETRY 1

extern char **environ;

static void
usage(FILE *f)
{
    fprintf(f,
"usage: " PROG " [-d DIR] [mon's alert arguments] [FILE]\n"
"Append a mon/mond alert to FILE (default \"file\", relative to DIR when\n"
"-d is given), in the format of mon's file.alert.\n"
"\n"
"options:\n"
"  -d DIR     directory of FILE\n"
"  -S TEXT    use TEXT as the summary instead of stdin's first line\n"
"  --help     this text\n"
"mon's alert arguments: -s SERVICE -g GROUP -h HOSTS -t TIME -l SECONDS\n"
"  -u (upalert) -T (trap) -O (trap timeout)\n"
"\n"
"exit status:\n"
"  0  the record was appended and synced to disk\n"
"  1  it could not be (open, lock, write, fsync, close): retry later\n"
"  2  bad usage\n");
}

/* Append len bytes under an exclusive lock, then fsync.  0, or -1 with
 * errno and *step naming what failed. */
static int
append_locked(const char *path, const char *data, size_t len,
              const char **step)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        *step = "cannot open";
        return -1;
    }
    int rc = 0;
    while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR)
        ;
    if (rc != 0)
        *step = "cannot lock";
    while (rc == 0 && len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *step = "cannot write";
            rc = -1;
            break;
        }
        data += n;
        len -= (size_t)n;
    }
    if (rc == 0 && fdatasync(fd) != 0) {
        *step = "cannot fsync";
        rc = -1;
    }
    int e = errno;
    if (close(fd) != 0 && rc == 0) {   /* close releases the lock */
        *step = "cannot close";
        return -1;
    }
    errno = e;
    return rc;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'H' },
        { NULL, 0, NULL, 0 },
    };
    struct alert_info ai;
    const char *dir = NULL;
    char err[256];
    int c;

    alert_info_init(&ai);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":" ALERT_MON_SHORTOPTS "d:",
                            longopts, NULL)) != -1) {
        int r = alert_mon_option(&ai, c, optarg, err, sizeof(err));
        if (r < 0)
            alert_usage(PROG, "%s", err);
        if (r > 0)
            continue;
        switch (c) {
        case 'd': dir = optarg; break;
        case 'H':
            usage(stdout);
            return 0;
        case ':':
            alert_usage(PROG, "option %s needs a value", argv[optind - 1]);
        default:
            alert_usage(PROG, "unknown option %s", argv[optind - 1]);
        }
    }
    if (argc - optind > 1)
        alert_usage(PROG, "expected at most one FILE");
    const char *file = optind < argc ? argv[optind] : "file";
    struct strbuf pb = STRBUF_INIT;
    if (dir != NULL)
        strbuf_addf(&pb, "%s/%s", dir, file);
    else
        strbuf_adds(&pb, file);
    char *path = strbuf_take(&pb);

    if (alert_read_stream(&ai, STDIN_FILENO) != 0) {
        fprintf(stderr, PROG ": reading stdin: %s\n", strerror(errno));
        return EXIT_RETRY;
    }
    alert_info_from_env(&ai, environ);

    /* mon: $t = localtime($opt_t); ($wday,$mon,$day,$tm) = split(...) */
    int64_t t = ai.time_wall_s > 0 ? ai.time_wall_s : (int64_t)time(NULL);
    time_t tt = (time_t)t;
    struct tm tm;
    char when[64] = "";
    if (localtime_r(&tt, &tm) != NULL)
        strftime(when, sizeof(when), "%a %b %-d %H:%M:%S", &tm);
    const char *type = getenv("MON_ALERTTYPE");
    const char *opstatus = getenv("MON_OPSTATUS");
    const char *descr = getenv("MON_DESCRIPTION");
    /* The first line must stay one line whatever the summary holds. */
    char *summary = alert_clean_line(ai.summary);

    struct strbuf rec = STRBUF_INIT;
    strbuf_addf(&rec, "%s %s %s %lld (%s) %s\n",
                type && *type ? type : "UNKNOWN ALERT", ai.group, ai.service,
                (long long)t, when, summary);
    strbuf_addf(&rec, "DESCR=%s\n", descr ? descr : "");
    strbuf_addf(&rec, "OPSTATUS=%s\n",
                opstatus ? opstatus : "UNKNOWN OPSTATUS");
    strbuf_adds(&rec, ai.detail);
    if (ai.detail[0] != '\0' && rec.s[rec.len - 1] != '\n')
        strbuf_addc(&rec, '\n');
    strbuf_adds(&rec, ".\n");
    free(summary);

    const char *step = NULL;
    int status = EXIT_DELIVERED;
    if (append_locked(path, rec.s, rec.len, &step) != 0) {
        fprintf(stderr, PROG ": %s %s: %s\n", step, path, strerror(errno));
        status = EXIT_RETRY;
    }
    strbuf_fini(&rec);
    free(path);
    alert_info_fini(&ai);
    return status;
}
