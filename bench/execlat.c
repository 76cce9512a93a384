/*
 * execlat — the floor under "alert latency": how long this machine takes
 * from the fork of a program to its main(), with nothing else running.
 *
 *   execlat N PROGRAM [ARGS...]
 * starts PROGRAM (the benchmark's tick.monitor) N times, one at a time,
 * 20 ms apart, with vfork + execve as mond does, noting the time of each
 * vfork; tick.monitor writes the time its main() ran to $TICKFILE.
 * Prints "execlat n=N p50=MS p99=MS max=MS" (milliseconds), then the
 * same for "exit": from the end time tick.monitor wrote (just before it
 * exits) to the parent's waitpid() returning.  The two added are what any
 * parent needs to see a monitor end and start an alert.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* vfork in a function of its own: nothing of main's is clobbered. */
static pid_t
start_one(char **argv)
{
    pid_t pid = vfork();

    if (pid == 0) {
        execve(argv[0], argv, environ);
        _exit(127);
    }
    return pid;
}

static int
cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
    const char *tf = getenv("TICKFILE");
    int n = argc > 2 ? atoi(argv[1]) : 0;
    long long *spawned, *reaped, *lat, *ex;
    FILE *f;
    int got = 0;

    if (n <= 0 || tf == NULL) {
        fprintf(stderr, "usage: TICKFILE=F execlat N PROGRAM [ARGS...]\n");
        return 2;
    }
    (void)unlink(tf);
    spawned = calloc((size_t)n, sizeof *spawned);
    reaped = calloc((size_t)n, sizeof *reaped);
    lat = calloc((size_t)n, sizeof *lat);
    ex = calloc((size_t)n, sizeof *ex);
    if (spawned == NULL || reaped == NULL || lat == NULL || ex == NULL)
        return 1;
    for (int i = 0; i < n; i++) {
        struct timespec gap = { 0, 20000000 };
        pid_t pid;

        spawned[i] = now_ns();
        pid = start_one(argv + 2);
        if (pid < 0) {
            perror("vfork");
            return 1;
        }
        (void)waitpid(pid, NULL, 0);
        reaped[i] = now_ns();
        nanosleep(&gap, NULL);
    }
    /* tick.monitor lines are "ID START END", one per run, in order. */
    f = fopen(tf, "r");
    if (f == NULL) {
        perror(tf);
        return 1;
    }
    {
        char id[64];
        long long start, end;

        while (got < n && fscanf(f, "%63s %lld %lld", id, &start, &end) == 3) {
            lat[got] = start - spawned[got];
            ex[got] = reaped[got] - end;
            got++;
        }
    }
    fclose(f);
    if (got == 0) {
        fprintf(stderr, "execlat: %s recorded nothing\n", tf);
        return 1;
    }
    qsort(lat, (size_t)got, sizeof *lat, cmp_ll);
    qsort(ex, (size_t)got, sizeof *ex, cmp_ll);
    printf("execlat n=%d p50=%.2f p99=%.2f max=%.2f\n", got,
           lat[got / 2] / 1e6, lat[(got * 99) / 100] / 1e6,
           lat[got - 1] / 1e6);
    printf("exit n=%d p50=%.2f p99=%.2f max=%.2f\n", got,
           ex[got / 2] / 1e6, ex[(got * 99) / 100] / 1e6, ex[got - 1] / 1e6);
    return 0;
}
