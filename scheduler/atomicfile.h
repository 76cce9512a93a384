/*
 * atomicfile.h — the only writer of durable files (state, alert spool).
 *
 * A file is replaced whole or not at all, and survives a crash once the
 * call returns 0: temp file in the same directory (O_EXCL, so two writers
 * never share one), write all, fsync, checked close, rename over the
 * target, fsync the directory (so the rename itself is on disk).  On any
 * failure the temp file is unlinked and the target is left as it was.
 */
#ifndef MOND_ATOMICFILE_H
#define MOND_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Why a write failed: the step ("create temp file", "write", "fsync",
 * "close", "rename", "open directory", "fsync directory") and its errno. */
struct atomicfile_err {
    const char *step;           /* static string; NULL when no error */
    int errnum;
};

/* Write len bytes of data to path atomically with the given mode.
 * Returns 0, or -1 with errno set and *err (if not NULL) naming the step.
 * Only a failed "fsync directory" leaves the new file in place (renamed
 * but not known to be durable); every other failure leaves the old. */
int atomicfile_write(const char *path, const void *data, size_t len,
                     mode_t mode, struct atomicfile_err *err);

/* fsync the directory holding path (after a rename or unlink that must
 * be durable).  0, or -1 with errno. */
int atomicfile_sync_dir(const char *path);

/* "STEP PATH: strerror" into buf (for log lines). */
void atomicfile_err_format(const struct atomicfile_err *err,
                           const char *path, char *buf, size_t len);

#endif
