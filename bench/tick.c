/*
 * tick — the trivial monitor of the scheduler benchmark.
 *
 * Appends "ID START_NS END_NS\n" (CLOCK_REALTIME) to $TICKFILE with one
 * O_APPEND write, so concurrent ticks never interleave, then exits with
 * $TICK_EXIT (default 0).  ID is argv[1].  Works the same under mon and
 * mond, so their figures are measured one way.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
    long long start = now_ns();
    const char *path = getenv("TICKFILE");
    const char *ex = getenv("TICK_EXIT");
    int code = ex ? atoi(ex) : 0;
    if (path != NULL) {
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) {
            char line[256];
            int n = snprintf(line, sizeof(line), "%s %lld %lld\n",
                             argc > 1 ? argv[1] : "-", start, now_ns());
            if (write(fd, line, (size_t)n) != n)
                code = 3;
            close(fd);
        }
    }
    if (code != 0)
        printf("tick failed %s\n", argc > 1 ? argv[1] : "-");
    return code;
}
