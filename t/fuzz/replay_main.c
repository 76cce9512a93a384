/*
 * replay_main.c — a main() for the libFuzzer targets in t/fuzz/, so that
 * they build with any C compiler and their corpora run under ctest (and
 * under ASan + UBSan in `make asan`).
 *
 *   fuzzreplay_NAME PATH...
 *
 * Each PATH is a file (one input) or a directory (every regular file in
 * it whose name does not start with '.', in name order, not recursive).
 * Each input is read whole into a buffer of exactly its size (no NUL
 * after it, so a target reading past its input trips ASan) and given to
 * LLVMFuzzerTestOneInput().  A target reports a broken invariant by
 * aborting, which fails the test.  Exit status: 0 when every input ran,
 * 1 when a path could not be read or no input was found at all (an
 * empty corpus proves nothing), 2 on a usage error.
 *
 * With clang, -DMOND_FUZZ=ON links the same targets with libFuzzer's own
 * main() instead (see t/fuzz/README.md).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Inputs larger than this are refused: the corpus is kept small. */
#define REPLAY_INPUT_MAX ((size_t)4 * 1024 * 1024)

/* Read path whole into a new buffer of exactly its size (a 1-byte buffer
 * for an empty file, size 0).  0, or -1 with a message printed. */
static int
read_whole(const char *path, uint8_t **buf, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;

    if (fd < 0) {
        fprintf(stderr, "fuzzreplay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &sb) < 0) {
        fprintf(stderr, "fuzzreplay: %s: fstat: %s\n", path, strerror(errno));
        (void)close(fd);
        return -1;
    }
    if ((size_t)sb.st_size > REPLAY_INPUT_MAX) {
        fprintf(stderr, "fuzzreplay: %s: larger than %zu bytes\n", path,
                REPLAY_INPUT_MAX);
        (void)close(fd);
        return -1;
    }
    size_t n = (size_t)sb.st_size, got = 0;
    uint8_t *b = malloc(n > 0 ? n : 1);
    if (b == NULL) {
        fprintf(stderr, "fuzzreplay: out of memory\n");
        abort();
    }
    while (got < n) {
        ssize_t r = read(fd, b + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            fprintf(stderr, "fuzzreplay: %s: read: %s\n", path,
                    r < 0 ? strerror(errno) : "file shrank");
            free(b);
            (void)close(fd);
            return -1;
        }
        got += (size_t)r;
    }
    if (close(fd) < 0) {
        fprintf(stderr, "fuzzreplay: %s: close: %s\n", path, strerror(errno));
        free(b);
        return -1;
    }
    *buf = b;
    *size = n;
    return 0;
}

static int
run_file(const char *path)
{
    uint8_t *buf;
    size_t size;

    if (read_whole(path, &buf, &size) < 0)
        return -1;
    /* The file name first, so a crash report says which input it was. */
    fprintf(stderr, "fuzzreplay: %s (%zu bytes)\n", path, size);
    (void)LLVMFuzzerTestOneInput(buf, size);
    free(buf);
    return 0;
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every visible regular file in dir, in name order.  Adds to *count;
 * 0, or -1 when the directory or a file could not be read. */
static int
run_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;

    if (d == NULL) {
        fprintf(stderr, "fuzzreplay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (de == NULL) {
            if (errno != 0) {
                fprintf(stderr, "fuzzreplay: %s: readdir: %s\n", dir,
                        strerror(errno));
                rc = -1;
            }
            break;
        }
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof(*names));
            if (names == NULL) {
                fprintf(stderr, "fuzzreplay: out of memory\n");
                abort();
            }
        }
        names[n] = strdup(de->d_name);
        if (names[n] == NULL) {
            fprintf(stderr, "fuzzreplay: out of memory\n");
            abort();
        }
        n++;
    }
    if (closedir(d) < 0) {
        fprintf(stderr, "fuzzreplay: %s: closedir: %s\n", dir,
                strerror(errno));
        rc = -1;
    }
    if (n > 0)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n; i++) {
        char *path;
        struct stat sb;
        if (asprintf(&path, "%s/%s", dir, names[i]) < 0) {
            fprintf(stderr, "fuzzreplay: out of memory\n");
            abort();
        }
        if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            if (run_file(path) < 0)
                rc = -1;
            else
                (*count)++;
        }
        free(path);
        free(names[i]);
    }
    free(names);
    return rc;
}

int
main(int argc, char **argv)
{
    size_t count = 0;
    int rc = 0;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        fprintf(argc < 2 ? stderr : stdout,
                "usage: %s PATH...\n"
                "Run the fuzz target over every input: each PATH is a file or\n"
                "a directory of files (a libFuzzer corpus).\n"
                "Exit status: 0 every input ran, 1 a path could not be read\n"
                "or there was no input, 2 usage; a broken invariant aborts.\n",
                argv[0]);
        return argc < 2 ? 2 : 0;
    }
    if (LLVMFuzzerInitialize != NULL)
        (void)LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) < 0) {
            fprintf(stderr, "fuzzreplay: %s: %s\n", argv[i], strerror(errno));
            rc = 1;
        } else if (S_ISDIR(sb.st_mode)) {
            if (run_dir(argv[i], &count) < 0)
                rc = 1;
        } else if (run_file(argv[i]) < 0) {
            rc = 1;
        } else {
            count++;
        }
    }
    if (count == 0) {
        fprintf(stderr, "fuzzreplay: no input found\n");
        rc = 1;
    }
    printf("fuzzreplay: %zu inputs replayed%s\n", count,
           rc == 0 ? "" : " (with errors)");
    return rc;
}
