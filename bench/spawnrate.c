/*
 * spawnrate — the limit the scheduler benchmark compares against: how many
 * posix_spawn + wait of a program this machine does per second, with
 * PAR children in flight at once.
 *
 *   spawnrate SECONDS PAR PROGRAM [ARGS...]
 * prints "spawnrate par=PAR rate=R/s n=N cpu=US/spawn": the rate, and the
 * spawner's own CPU time (user+system, children not included) per child,
 * which is what any parent pays for one posix_spawn + wait here.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: spawnrate SECONDS PAR PROGRAM [ARGS...]\n");
        return 2;
    }
    double secs = atof(argv[1]);
    int par = atoi(argv[2]);
    long n = 0;
    int running = 0;
    double t0 = now_s(), end = t0 + secs;
    while (now_s() < end || running > 0) {
        while (running < par && now_s() < end) {
            pid_t pid;
            if (posix_spawn(&pid, argv[3], NULL, NULL, argv + 3, environ) != 0) {
                perror("posix_spawn");
                return 1;
            }
            running++;
        }
        if (wait(NULL) > 0) {
            running--;
            n++;
        }
    }
    double el = now_s() - t0;
    struct rusage ru;
    double cpu = 0;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
              (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    printf("spawnrate par=%d rate=%.0f/s n=%ld cpu=%.1fus/spawn\n", par,
           n / el, n, n > 0 ? cpu / n * 1e6 : 0.0);
    return 0;
}
