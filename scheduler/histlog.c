/*
 * histlog.c — alert history ring and the historicfile / dtlogfile
 * appenders.
 *
 * Each file line is one write(2) on an O_APPEND descriptor opened for
 * that line: a line is never interleaved with another writer's, and a
 * log rotated under mond is picked up at the next line.
 */
#include "histlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

struct histlog {
    char **ring;
    size_t cap, start, n;
};

static int
append_text(const char *path, const char *text)
{
    size_t len = strlen(text);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    ssize_t w;

    if (fd < 0)
        return -1;
    w = write(fd, text, len);
    if (w < 0 || (size_t)w != len) {
        int e = w < 0 ? errno : EIO;
        close(fd);
        errno = e;
        return -1;
    }
    return close(fd);
}

struct histlog *
histlog_new(void)
{
    struct histlog *h = xcalloc(1, sizeof *h);

    histlog_set_length(h, 0);
    return h;
}

void
histlog_free(struct histlog *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->n; i++)
        free(h->ring[(h->start + i) % h->cap]);
    free(h->ring);
    free(h);
}

void
histlog_set_length(struct histlog *h, size_t len)
{
    size_t cap = len > 0 ? len : HISTLOG_LENGTH_DEFAULT;
    size_t keep = h->n < cap ? h->n : cap;
    char **nr;

    if (cap == h->cap)
        return;
    nr = xcalloc(cap, sizeof *nr);
    for (size_t i = 0; i < h->n; i++) {
        char *l = h->ring[(h->start + i) % h->cap];
        if (i >= h->n - keep)
            nr[i - (h->n - keep)] = l;
        else
            free(l);
    }
    free(h->ring);
    h->ring = nr;
    h->cap = cap;
    h->start = 0;
    h->n = keep;
}

static void
ring_push(struct histlog *h, const char *line)
{
    if (h->n == h->cap) {
        free(h->ring[h->start]);
        h->ring[h->start] = NULL;
        h->start = (h->start + 1) % h->cap;
        h->n--;
    }
    /* xstrndup copies exactly n bytes: bound the length first. */
    h->ring[(h->start + h->n) % h->cap] =
        xstrndup(line, strnlen(line, HISTLOG_LINE_MAX));
    h->n++;
}

void
histlog_add(struct histlog *h, const char *line, const char *path)
{
    ring_push(h, line);
    if (path != NULL) {
        char *l = xasprintf("%s\n", line);
        if (append_text(path, l) < 0)
            log_warn("historicfile %s: cannot append alert history", path);
        free(l);
    }
}

void
histlog_restore(struct histlog *h, const char *const *lines, size_t n)
{
    for (size_t i = 0; i < h->n; i++) {
        free(h->ring[(h->start + i) % h->cap]);
        h->ring[(h->start + i) % h->cap] = NULL;
    }
    h->start = h->n = 0;
    for (size_t i = 0; i < n; i++)
        if (lines[i] != NULL)
            ring_push(h, lines[i]);
}

size_t
histlog_count(const struct histlog *h)
{
    return h->n;
}

const char *
histlog_at(const struct histlog *h, size_t i)
{
    if (i >= h->n)
        return NULL;
    return h->ring[(h->start + i) % h->cap];
}

void
histlog_load(struct histlog *h, const char *path, int64_t historictime_ms,
             int64_t now_wall_ms)
{
    int64_t limit_s = 0;
    char line[HISTLOG_LINE_MAX];
    FILE *f;

    if (path == NULL)
        return;
    f = fopen(path, "re");
    if (f == NULL) {
        if (errno != ENOENT)
            log_warn("historicfile %s: cannot read history", path);
        return;
    }
    if (historictime_ms > 0)
        limit_s = (now_wall_ms - historictime_ms) / 1000;
    while (fgets(line, sizeof line, f) != NULL) {
        char type[64], grp[256], svc[256];
        long long t;
        size_t len = strlen(line);
        size_t lead;

        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        lead = strspn(line, " \t");
        if (line[lead] == '\0' || line[lead] == '#')
            continue;
        if (sscanf(line, "%63s %255s %255s %lld", type, grp, svc, &t) != 4)
            continue;
        if (t >= limit_s)
            ring_push(h, line);
    }
    if (ferror(f))
        log_warn("historicfile %s: read error", path);
    fclose(f);
}

void
histlog_dt_start(const char *path, int64_t now_wall_ms)
{
    char *hdr = xasprintf("#\n# downtime log start %lld\n"
                          "# time back up, group, service, first failure, "
                          "downtime, interval, summary\n#\n",
                          (long long)(now_wall_ms / 1000));

    if (append_text(path, hdr) < 0)
        log_warn("dtlogfile %s: cannot append", path);
    free(hdr);
}

void
histlog_dt_write(const char *path, int64_t now_wall_ms, const char *group,
                 const char *service, int64_t first_fail_wall_ms,
                 int64_t interval_ms, const char *summary)
{
    long long now_s = now_wall_ms / 1000, ff_s = first_fail_wall_ms / 1000;
    char *line = xasprintf("%lld %s %s %lld %lld %lld %s\n", now_s, group,
                           service, ff_s, now_s - ff_s,
                           (long long)(interval_ms / 1000),
                           summary != NULL ? summary : "");

    if (append_text(path, line) < 0)
        log_warn("dtlogfile %s: cannot append", path);
    free(line);
}
