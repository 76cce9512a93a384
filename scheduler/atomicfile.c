/*
 * atomicfile.c — crash-safe whole-file replacement (see atomicfile.h).
 *
 * The sequence is Redis's rdbSave() (fsync, checked close, rename,
 * fsyncFileDir) with OpenSMTPD's per-step checks; unlike OpenSMTPD's
 * queue_fs.c the directory is synced too, or a crash right after rename
 * can bring back the old file (ext4 data=ordered, XFS).
 */
#include "atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xalloc.h"

static int
fail(struct atomicfile_err *err, const char *step, int e)
{
    if (err != NULL) {
        err->step = step;
        err->errnum = e;
    }
    errno = e;
    return -1;
}

int
atomicfile_sync_dir(const char *path)
{
    char *copy = xstrdup(path);
    char *slash = strrchr(copy, '/');
    const char *dir = ".";
    if (slash == copy)
        dir = "/";
    else if (slash != NULL) {
        *slash = '\0';
        dir = copy;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        free(copy);
        errno = e;
        return -1;
    }
    int rc = fsync(fd);
    int e = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    free(copy);
    errno = e;
    return rc;
}

int
atomicfile_write(const char *path, const void *data, size_t len,
                 mode_t mode, struct atomicfile_err *err)
{
    static unsigned seq;
    char *tmp = NULL;
    int fd = -1;

    if (err != NULL) {
        err->step = NULL;
        err->errnum = 0;
    }
    /* pid + sequence + retry: O_EXCL fails on a stale temp file left by a
     * crash with the same pid, so try a few names before giving up. */
    for (int tries = 0; tries < 100; tries++) {
        free(tmp);
        tmp = xasprintf("%s.tmp.%ld.%u", path, (long)getpid(), seq++);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd >= 0 || errno != EEXIST)
            break;
    }
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return fail(err, "create temp file", e);
    }

    const char *step = NULL;
    int e = 0;
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            step = "write";
            e = errno;
            break;
        }
        p += n;
        left -= (size_t)n;
    }
    if (step == NULL && fsync(fd) != 0) {
        step = "fsync";
        e = errno;
    }
    if (close(fd) != 0 && step == NULL) {
        step = "close";
        e = errno;
    }
    if (step == NULL && rename(tmp, path) != 0) {
        step = "rename";
        e = errno;
    }
    if (step != NULL) {
        unlink(tmp);
        free(tmp);
        return fail(err, step, e);
    }
    free(tmp);
    if (atomicfile_sync_dir(path) != 0)
        return fail(err, "fsync directory", errno);
    return 0;
}

void
atomicfile_err_format(const struct atomicfile_err *err, const char *path,
                      char *buf, size_t len)
{
    snprintf(buf, len, "%s %s: %s", err->step ? err->step : "write", path,
             strerror(err->errnum));
}
