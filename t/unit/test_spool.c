/*
 * test_spool.c — the alert spool and atomic file writes: format round
 * trip, put / reschedule / done on disk, load order, corrupt files set
 * aside and reported (never dropped), stale temp files, backoff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "diag.h"
#include "spool.h"
#include "xalloc.h"

static char *
make_tmpdir(void)
{
    char tmpl[] = "/tmp/test_spool.XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return xstrdup(d);
}

static void
rm_rf(const char *path)
{
    char *cmd = xasprintf("rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static void
write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *
read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *buf = xmalloc(65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static size_t
count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' && strcmp(de->d_name, "corrupt") != 0)
            n++;
    closedir(d);
    return n;
}

/* A record with every awkward byte the format must carry. */
static void
sample_record(struct spool_record *r)
{
    static char *argv[] = { "mail.alert", "-s", "http", "-g", "web", "-h",
                            "web1 web2", "--from", "100% mond@example.org",
                            "" };
    static char *env[] = { "MON_GROUP=web", "MON_DESCRIPTION=ウェブ\tfront",
                           "EMPTY=" };
    spool_record_init(r);
    r->group = "web";
    r->service = "http";
    r->program = "/usr/lib/mon/alert.d/mail.alert";
    r->argv = argv;
    r->argc = sizeof(argv) / sizeof(argv[0]);
    r->env = env;
    r->envc = sizeof(env) / sizeof(env[0]);
    r->stdin_text = "web1 down\r\ndetail: 50% loss\n\x01 end\n";
    r->type = "failure";
    r->attempts = 3;
    r->next_attempt_wall_ms = 1764000000123;
    r->first_spooled_wall_ms = 1763999990000;
}

static void
assert_same_record(const struct spool_record *a, const struct spool_record *b)
{
    assert_string_equal(a->group, b->group);
    assert_string_equal(a->service, b->service);
    assert_string_equal(a->program, b->program);
    assert_int_equal(a->argc, b->argc);
    for (size_t i = 0; i < a->argc; i++)
        assert_string_equal(a->argv[i], b->argv[i]);
    assert_int_equal(a->envc, b->envc);
    for (size_t i = 0; i < a->envc; i++)
        assert_string_equal(a->env[i], b->env[i]);
    assert_string_equal(a->stdin_text, b->stdin_text);
    assert_string_equal(a->type, b->type);
    assert_int_equal(a->attempts, b->attempts);
    assert_int_equal(a->next_attempt_wall_ms, b->next_attempt_wall_ms);
    assert_int_equal(a->first_spooled_wall_ms, b->first_spooled_wall_ms);
}

static void
test_roundtrip(void **state)
{
    (void)state;
    struct spool_record in, out;
    sample_record(&in);
    char *text = spool_encode(&in);
    /* one record per line: no raw control bytes but the newlines */
    assert_memory_equal(text, "mond-spool 1\ngroup web\n", 23);
    assert_non_null(strstr(text, "\nstdin web1 down%0D%0Adetail: 50%25 loss"
                           "%0A%01 end%0A\n"));
    assert_non_null(strstr(text, "\nenv MON_DESCRIPTION=ウェブ%09front\n"));
    assert_non_null(strstr(text, "\narg \n"));     /* empty arg kept */
    assert_true(strlen(text) > 10 &&
                strcmp(text + strlen(text) - 4, "end\n") == 0);
    int line;
    char err[256];
    assert_int_equal(spool_decode(text, strlen(text), &out, &line, err,
                                  sizeof(err)), 0);
    assert_same_record(&in, &out);
    spool_record_fini(&out);
    free(text);
}

static void
test_decode_errors(void **state)
{
    (void)state;
    static const struct { const char *text; int line; const char *msg; }
    cases[] = {
        { "", 0, "empty file" },
        { "mond-spool 2\n", 1, "unsupported spool format version 2" },
        { "hello\n", 1, "expected \"mond-spool 1\"" },
        { "mond-spool 1\ngroup web\n", 0, "missing key \"service\"" },
        { "mond-spool 1\ngroup web\ngroup x\n", 3, "duplicate key \"group\"" },
        { "mond-spool 1\ncolour red\n", 2, "unknown key \"colour\"" },
        { "mond-spool 1\nattempts many\n", 2, "attempts: expected a count" },
        { "mond-spool 1\ngroup a%ZZ\n", 2, "bad %XX escape in group" },
        { "mond-spool 1\ngroup a%00\n", 2, "bad %XX escape in group" },
        { "mond-spool 1\nenv NOEQUALS\n", 2, "env value without '='" },
        { "mond-spool 1\ngroup web", 2, "last line has no newline" },
        { "mond-spool 1\ngroup g\nservice s\nprogram /p\ntype failure\n"
          "attempts 0\nnext_attempt_wall_ms 1\nfirst_spooled_wall_ms 1\n"
          "stdin x\n", 0, "no \"end\" line" },
        { "mond-spool 1\ngroup g\nservice s\nprogram /p\ntype failure\n"
          "attempts 0\nnext_attempt_wall_ms 1\nfirst_spooled_wall_ms 1\n"
          "stdin x\nend\nmore\n", 11, "text after \"end\"" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct spool_record r;
        int line = -1;
        char err[256] = "";
        assert_int_equal(spool_decode(cases[i].text, strlen(cases[i].text),
                                      &r, &line, err, sizeof(err)), -1);
        if (strstr(err, cases[i].msg) == NULL || line != cases[i].line)
            fail_msg("case %zu: got line %d \"%s\", want line %d \"%s\"", i,
                     line, err, cases[i].line, cases[i].msg);
    }
}

static void
test_put_reschedule_done(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct diag_list dl;
    diag_list_init(&dl);
    struct spool *sp = spool_open(dir, &dl);
    assert_non_null(sp);
    char *spooldir = xasprintf("%s/spool", dir);
    assert_string_equal(spool_dir(sp), spooldir);

    struct spool_record in;
    sample_record(&in);
    char *id1 = spool_put(sp, &in, &dl);
    char *id2 = spool_put(sp, &in, &dl);
    assert_non_null(id1);
    assert_non_null(id2);
    assert_string_not_equal(id1, id2);
    assert_true(spool_id_valid(id1));
    assert_int_equal(count_entries(spooldir), 2);

    /* file mode is private, content is the encoding */
    char *path = xasprintf("%s/%s", spooldir, id1);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *text = read_text(path);
    char *want = spool_encode(&in);
    assert_string_equal(text, want);
    free(text);
    free(want);

    /* reschedule id2 earlier than id1: load order follows next attempt */
    assert_int_equal(spool_reschedule(sp, id2, 4, 1000, &dl), 0);
    struct spool_record *recs;
    size_t n;
    assert_int_equal(spool_load_all(sp, &recs, &n, &dl), 0);
    assert_int_equal(n, 2);
    assert_string_equal(recs[0].id, id2);
    assert_int_equal(recs[0].attempts, 4);
    assert_int_equal(recs[0].next_attempt_wall_ms, 1000);
    assert_string_equal(recs[0].stdin_text, in.stdin_text);
    assert_string_equal(recs[1].id, id1);
    assert_same_record(&in, &recs[1]);
    spool_records_free(recs, n);
    assert_int_equal(dl.n, 0);

    assert_int_equal(spool_done(sp, id1, &dl), 0);
    assert_int_equal(count_entries(spooldir), 1);
    assert_int_equal(spool_done(sp, id1, &dl), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(spool_done(sp, "../../etc/passwd", &dl), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(spool_reschedule(sp, id1, 1, 1, &dl), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(dl.n, 3);

    /* first_spooled_wall_ms 0: the time of the put is recorded */
    in.first_spooled_wall_ms = 0;
    char *id3 = spool_put(sp, &in, &dl);
    assert_non_null(id3);
    assert_int_equal(spool_load_all(sp, &recs, &n, &dl), 0);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        if (strcmp(recs[i].id, id3) == 0)
            assert_true(recs[i].first_spooled_wall_ms > 1700000000000);
    spool_records_free(recs, n);
    free(id3);

    free(path);
    free(id1);
    free(id2);
    free(spooldir);
    spool_close(sp);
    diag_list_fini(&dl);
    rm_rf(dir);
    free(dir);
}

static void
test_corrupt_set_aside(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct diag_list dl;
    diag_list_init(&dl);
    struct spool *sp = spool_open(dir, &dl);
    assert_non_null(sp);
    struct spool_record in;
    sample_record(&in);
    char *good = spool_put(sp, &in, &dl);
    assert_non_null(good);

    char *bad = xasprintf("%s/spool/1700000000000-1-1", dir);
    write_text(bad, "mond-spool 1\ngroup web\nattempts x\n");
    char *trunc = xasprintf("%s/spool/1700000000000-1-2", dir);
    char *full = spool_encode(&in);
    full[strlen(full) / 2] = '\0';      /* cut in the middle */
    write_text(trunc, full);
    free(full);
    char *stray = xasprintf("%s/spool/notes.txt", dir);
    write_text(stray, "hello\n");
    char *tmp = xasprintf("%s/spool/1700000000000-1-3.tmp.99.0", dir);
    write_text(tmp, "mond-spool 1\n");

    struct spool_record *recs;
    size_t n;
    assert_int_equal(spool_load_all(sp, &recs, &n, &dl), 0);
    assert_int_equal(n, 1);
    assert_string_equal(recs[0].id, good);
    spool_records_free(recs, n);

    /* three set aside, one temp removed: four warnings, each named */
    assert_int_equal(dl.n, 4);
    bool saw_bad = false, saw_trunc = false, saw_stray = false,
         saw_tmp = false;
    for (size_t i = 0; i < dl.n; i++) {
        char *s = diag_format(&dl.items[i]);
        if (strstr(s, "1700000000000-1-1:3:") &&
            strstr(s, "attempts: expected a count") &&
            strstr(s, "moved to"))
            saw_bad = true;
        if (strstr(s, "1700000000000-1-2") && strstr(s, "moved to"))
            saw_trunc = true;
        if (strstr(s, "notes.txt") && strstr(s, "not a spool file name"))
            saw_stray = true;
        if (strstr(s, ".tmp.99.0") && strstr(s, "interrupted write"))
            saw_tmp = true;
        free(s);
    }
    assert_true(saw_bad && saw_trunc && saw_stray && saw_tmp);

    /* nothing dropped: the files are in spool/corrupt, byte for byte */
    char *moved = xasprintf("%s/spool/corrupt/1700000000000-1-1", dir);
    char *text = read_text(moved);
    assert_non_null(text);
    assert_string_equal(text, "mond-spool 1\ngroup web\nattempts x\n");
    free(text);
    assert_int_equal(access(bad, F_OK), -1);
    assert_int_equal(access(tmp, F_OK), -1);
    char *moved3 = xasprintf("%s/spool/corrupt/notes.txt", dir);
    assert_int_equal(access(moved3, F_OK), 0);

    /* a second corrupt file of the same name does not overwrite */
    write_text(bad, "junk\n");
    diag_list_fini(&dl);
    diag_list_init(&dl);
    assert_int_equal(spool_load_all(sp, &recs, &n, &dl), 0);
    assert_int_equal(n, 1);
    spool_records_free(recs, n);
    char *moved2 = xasprintf("%s.1", moved);
    text = read_text(moved2);
    assert_non_null(text);
    assert_string_equal(text, "junk\n");
    free(text);

    free(moved);
    free(moved2);
    free(moved3);
    free(bad);
    free(trunc);
    free(stray);
    free(tmp);
    free(good);
    spool_close(sp);
    diag_list_fini(&dl);
    rm_rf(dir);
    free(dir);
}

static void
test_atomicfile(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char *path = xasprintf("%s/state", dir);
    struct atomicfile_err err;
    assert_int_equal(atomicfile_write(path, "one\n", 4, 0640, &err), 0);
    assert_null(err.step);
    assert_int_equal(atomicfile_write(path, "two\n", 4, 0640, &err), 0);
    char *t = read_text(path);
    assert_string_equal(t, "two\n");
    free(t);
    assert_int_equal(count_entries(dir), 1);    /* no temp left */

    /* failure names the step and leaves no temp file */
    char *nodir = xasprintf("%s/missing/state", dir);
    assert_int_equal(atomicfile_write(nodir, "x", 1, 0600, &err), -1);
    assert_string_equal(err.step, "create temp file");
    assert_int_equal(err.errnum, ENOENT);
    char msg[256];
    atomicfile_err_format(&err, nodir, msg, sizeof(msg));
    assert_non_null(strstr(msg, "create temp file"));
    assert_non_null(strstr(msg, "No such file or directory"));

    /* rename onto a directory fails at "rename"; temp is removed */
    char *sub = xasprintf("%s/adir", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    char *inner = xasprintf("%s/x", sub);
    write_text(inner, "x");
    assert_int_equal(atomicfile_write(sub, "x", 1, 0600, &err), -1);
    assert_string_equal(err.step, "rename");
    assert_int_equal(count_entries(dir), 2);    /* state + adir only */

    free(inner);
    free(sub);
    free(nodir);
    free(path);
    rm_rf(dir);
    free(dir);
}

static void
test_backoff(void **state)
{
    (void)state;
    assert_int_equal(spool_backoff_ms(0, 1000, 60000), 0);
    assert_int_equal(spool_backoff_ms(1, 1000, 60000), 1000);
    assert_int_equal(spool_backoff_ms(2, 1000, 60000), 2000);
    assert_int_equal(spool_backoff_ms(5, 1000, 60000), 16000);
    assert_int_equal(spool_backoff_ms(7, 1000, 60000), 60000);
    assert_int_equal(spool_backoff_ms(4000000000u, 1000, 3600000), 3600000);
    assert_int_equal(spool_backoff_ms(70, INT64_MAX / 4, INT64_MAX),
                     INT64_MAX);
}

static void
test_open_creates_dirs(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    struct diag_list dl;
    diag_list_init(&dl);
    struct spool *sp = spool_open(dir, &dl);
    assert_non_null(sp);
    char *corrupt = xasprintf("%s/spool/corrupt", dir);
    struct stat st;
    assert_int_equal(stat(corrupt, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    spool_close(sp);
    /* a file where the spool directory should be: refused, with a reason */
    char *file = xasprintf("%s/f", dir);
    write_text(file, "x");
    assert_null(spool_open(file, &dl));
    assert_int_equal(dl.n, 1);
    free(file);
    free(corrupt);
    diag_list_fini(&dl);
    rm_rf(dir);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_put_reschedule_done),
        cmocka_unit_test(test_corrupt_set_aside),
        cmocka_unit_test(test_atomicfile),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_open_creates_dirs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
