/*
 * test_web.c — the pure pieces behind the status page, the JSON API and
 * /metrics: state words and order, escaping (HTML, Prometheus labels,
 * JSON with bad UTF-8), document shapes, the metrics format, the recent
 * check ring, and uptime from mon's downtime log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "perfdata.h"
#include "web.h"

#define NOW_MS 1764000000000LL

static char *hosts2[] = { "mx1", "mx2" };

struct fixture {
    struct svc_state st[3];
    struct web_svc svcs[3];
    struct web_snapshot snap;
    struct web_hist *hist;
};

static void
fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    for (int i = 0; i < 3; i++) {
        f->st[i].opstatus = OPSTATUS_OK;
        f->st[i].last_summary = (char *)"";
        f->svcs[i].st = &f->st[i];
        f->svcs[i].hosts = hosts2;
        f->svcs[i].nhosts = 2;
    }
    f->svcs[0].group = "web";
    f->svcs[0].service = "http";
    f->st[0].last_check_wall_ms = NOW_MS - 5000;
    f->st[0].success_count = 7;
    f->svcs[1].group = "mail";
    f->svcs[1].service = "smtp";
    f->svcs[1].description = "メールサーバ";
    f->st[1].opstatus = OPSTATUS_FAIL;
    f->st[1].last_summary = (char *)"mx1 <script>alert(1)</script>";
    f->st[1].first_failure_wall_ms = NOW_MS - 60000;
    f->svcs[1].since_wall_ms = NOW_MS - 60000;
    f->st[1].failure_count = 3;
    f->svcs[2].group = "dns";
    f->svcs[2].service = "soa";
    f->st[2].opstatus = OPSTATUS_UNTESTED;
    for (int i = 0; i < 3; i++)
        f->svcs[i].state = web_state_of(&f->st[i], false);
    f->hist = web_hist_new();
    f->snap.now_wall_ms = NOW_MS;
    f->snap.version = "0.1.0";
    f->snap.svcs = f->svcs;
    f->snap.n = 3;
    f->snap.health.spool_depth = 2;
    f->snap.health.reload_ok = true;
    f->snap.health.hist = f->hist;
}

static void
test_state_words(void **state)
{
    struct svc_state st;

    (void)state;
    memset(&st, 0, sizeof st);
    st.opstatus = OPSTATUS_OK;
    assert_string_equal(web_state_word(web_state_of(&st, false)), "ok");
    assert_string_equal(web_state_word(web_state_of(&st, true)), "disabled");
    st.opstatus = OPSTATUS_FAIL;
    assert_string_equal(web_state_word(web_state_of(&st, false)), "failing");
    st.acked = true;
    assert_string_equal(web_state_word(web_state_of(&st, false)),
                        "acknowledged");
    st.disabled = true;
    assert_string_equal(web_state_word(web_state_of(&st, false)), "disabled");
    st.disabled = false;
    st.opstatus = OPSTATUS_UNTESTED;
    assert_string_equal(web_state_word(web_state_of(&st, false)), "untested");
    st.opstatus = OPSTATUS_UNKNOWN;     /* counts as up, as in mon */
    assert_string_equal(web_state_word(web_state_of(&st, false)), "ok");
}

static void
test_sort_failing_first(void **state)
{
    struct fixture f;

    (void)state;
    fixture_init(&f);
    web_snapshot_sort(&f.snap);
    assert_string_equal(f.snap.svcs[0].group, "mail");     /* failing */
    assert_string_equal(f.snap.svcs[1].group, "dns");      /* untested */
    assert_string_equal(f.snap.svcs[2].group, "web");      /* ok */
    web_hist_free(f.hist);
}

static void
test_html_escaping(void **state)
{
    struct web_buf b;
    char *page;
    struct fixture f;

    (void)state;
    web_buf_init(&b);
    web_buf_html(&b, "<a href=\"x\">&'</a>");
    assert_string_equal(b.p, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    free(b.p);

    fixture_init(&f);
    web_snapshot_sort(&f.snap);
    page = web_page_index(&f.snap);
    assert_non_null(strstr(page, "mx1 &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_null(strstr(page, "<script>alert"));
    /* failing row first, with its state in words */
    assert_true(strstr(page, "mail/smtp") < strstr(page, "web/http"));
    assert_non_null(strstr(page, "<span class=\"badge st-failing\">failing"));
    free(page);

    page = web_page_service(&f.snap.svcs[0], NOW_MS, NULL, NULL, 0);
    assert_non_null(strstr(page, "メールサーバ"));
    assert_null(strstr(page, "<script>alert"));
    assert_non_null(strstr(page, "n/a"));   /* no uptime known */
    free(page);
    web_hist_free(f.hist);
}

static void
test_service_page_parts(void **state)
{
    struct fixture f;
    struct perf_set ps;
    struct web_uptimes u = { 0.99951, 1.0, -1 };
    const char *hist[] = { "failure mail smtp 1764000000 x.alert () <b>" };
    char *page;
    const char *p;
    int rects = 0;

    (void)state;
    fixture_init(&f);
    for (int i = 0; i < 5; i++) {
        perf_set_init(&ps);
        perfdata_parse(i == 2 ? "other=1" : "mx1_time=120ms", &ps);
        web_hist_record(f.hist, "mail", "smtp", hosts2, 2, NOW_MS + i, 5,
                        i == 3 ? 2 : 0, i != 3, -1, &ps);
        perf_set_fini(&ps);
    }
    f.svcs[1].hist = web_hist_find(f.hist, "mail", "smtp");
    page = web_page_service(&f.svcs[1], NOW_MS, &u, hist, 1);
    for (p = page; (p = strstr(p, "<rect ")) != NULL; p++)
        rects++;
    assert_int_equal(rects, 5);                 /* one per check */
    assert_non_null(strstr(page, "<rect class=\"fail\""));
    assert_non_null(strstr(page, "<polyline points=\""));  /* 4 times */
    assert_non_null(strstr(page, "120.0 ms"));  /* the chart's scale */
    assert_non_null(strstr(page, "99.951%"));
    assert_non_null(strstr(page, "n/a"));       /* 30 d unknown */
    assert_non_null(strstr(page, "&lt;b&gt;"));  /* history escaped */
    assert_null(strstr(page, "<b>"));
    free(page);
    web_hist_free(f.hist);
}

static void
test_url_segments(void **state)
{
    struct web_buf b;

    (void)state;
    web_buf_init(&b);
    web_buf_urlseg(&b, "a b/c?é");
    assert_string_equal(b.p, "a%20b%2Fc%3F%C3%A9");
    free(b.p);
}

static void
test_json_status_shape(void **state)
{
    struct fixture f;
    char *s;
    json_t *root, *svcs, *first;
    json_error_t je;

    (void)state;
    fixture_init(&f);
    f.st[0].last_summary = (char *)"bad \xff byte, 日本語";
    f.st[2].last_summary = (char *)"say \"hi\"\\\t\x01\n";
    web_snapshot_sort(&f.snap);
    s = web_json_status(&f.snap);
    root = json_loads(s, 0, &je);
    assert_non_null(root);
    assert_int_equal(json_integer_value(json_object_get(root, "now")), NOW_MS);
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(root, "counts"), "failing")), 1);
    svcs = json_object_get(root, "services");
    assert_int_equal(json_array_size(svcs), 3);
    first = json_array_get(svcs, 0);
    assert_string_equal(json_string_value(json_object_get(first, "state")),
                        "failing");
    assert_string_equal(json_string_value(json_object_get(first, "summary")),
                        "mx1 <script>alert(1)</script>");
    assert_int_equal(json_integer_value(json_object_get(first, "since")),
                     NOW_MS - 60000);
    assert_string_equal(json_string_value(json_object_get(first,
                        "description")), "メールサーバ");
    assert_true(json_is_null(json_object_get(json_array_get(svcs, 1),
                                             "last_check")));
    /* quotes, backslashes and control bytes survive the round trip */
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(svcs, 1), "summary")), "say \"hi\"\\\t\x01\n");
    /* invalid UTF-8 becomes U+FFFD, the rest survives */
    assert_string_equal(json_string_value(json_object_get(
        json_array_get(svcs, 2), "summary")), "bad \xEF\xBF\xBD byte, 日本語");
    json_decref(root);
    free(s);
    web_hist_free(f.hist);
}

static void
test_json_service_and_error(void **state)
{
    struct fixture f;
    struct web_uptimes u = { 0.5, 0.75, -1 };
    const char *hist[] = { "failure mail smtp 1764000000 mail.alert (x) mx1" };
    char *s;
    json_t *root;
    json_error_t je;
    struct perf_set ps;

    (void)state;
    fixture_init(&f);
    perf_set_init(&ps);
    perfdata_parse("mx1_time=0.25s;1;2 mx2_time=0.5s other=3", &ps);
    web_hist_record(f.hist, "mail", "smtp", hosts2, 2, NOW_MS, 310, 1, false,
                    -1, &ps);
    perf_set_fini(&ps);
    f.svcs[1].hist = web_hist_find(f.hist, "mail", "smtp");
    s = web_json_service(&f.svcs[1], NOW_MS, &u, hist, 1);
    root = json_loads(s, 0, &je);
    assert_non_null(root);
    assert_true(json_real_value(json_object_get(json_object_get(root,
                "uptime"), "24h")) == 0.5);
    assert_true(json_is_null(json_object_get(json_object_get(root, "uptime"),
                                             "30d")));
    assert_int_equal(json_array_size(json_object_get(root, "hosts")), 2);
    assert_int_equal(json_array_size(json_object_get(root, "recent")), 1);
    assert_int_equal(json_array_size(json_object_get(root, "metrics")), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(
        json_object_get(root, "metrics"), 1), "host")), "mx2");
    assert_int_equal(json_integer_value(json_object_get(root,
                     "last_duration_ms")), 310);
    assert_string_equal(json_string_value(json_array_get(json_object_get(
        root, "history"), 0)), hist[0]);
    /* the recent check as an API client reads it */
    assert_non_null(strstr(s, "\"recent\":[{\"time\":1764000000000,"
                           "\"ok\":false,\"exit\":1,\"duration_ms\":310,"
                           "\"response_ms\":250.0}]"));
    json_decref(root);
    free(s);
    /* a float-stored response time prints as the monitor wrote it */
    perf_set_init(&ps);
    perfdata_parse("mx1_time=123.456ms", &ps);
    web_hist_record(f.hist, "mail", "smtp", hosts2, 2, NOW_MS + 1, 7, 0, true,
                    -1, &ps);
    perf_set_fini(&ps);
    s = web_json_service(&f.svcs[1], NOW_MS, &u, hist, 1);
    assert_non_null(strstr(s, "{\"time\":1764000000001,\"ok\":true,"
                           "\"exit\":0,\"duration_ms\":7,"
                           "\"response_ms\":123.456}]"));
    free(s);

    s = web_json_error(404, "no service a/b");
    assert_string_equal(s, "{\"error\":\"no service a/b\",\"status\":404}");
    free(s);
    web_hist_free(f.hist);
}

static void
test_json_alerts(void **state)
{
    struct fixture f;
    const char *hist[] = {
        "failure mail smtp 1764000000 mail.alert (-s smtp) mx1 down",
        "up mail smtp 1764000100 mail.alert (-u) ok",
    };
    char *s;
    json_t *root, *h0;
    json_error_t je;

    (void)state;
    fixture_init(&f);
    f.snap.history = hist;
    f.snap.nhistory = 2;
    s = web_json_alerts(&f.snap);
    root = json_loads(s, 0, &je);
    assert_non_null(root);
    h0 = json_array_get(json_object_get(root, "history"), 0);  /* newest */
    assert_string_equal(json_string_value(json_object_get(h0, "type")), "up");
    assert_int_equal(json_integer_value(json_object_get(h0, "time")),
                     1764000100000LL);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(root,
                     "spool"), "depth")), 2);
    assert_int_equal(json_array_size(json_object_get(root, "failing")), 1);
    json_decref(root);
    free(s);
    web_hist_free(f.hist);
}

/* Every sample line's metric belongs to a family declared by TYPE before
 * it, names and labels are well formed, and values parse. */
static void
check_prom_format(const char *text)
{
    char *copy = strdup(text), *save = NULL;
    char families[64][80];
    int nfam = 0;

    for (char *line = strtok_r(copy, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char name[128], *end;
        size_t nl;
        if (strncmp(line, "# HELP ", 7) == 0)
            continue;
        if (strncmp(line, "# TYPE ", 7) == 0) {
            assert_true(nfam < 64);
            assert_int_equal(sscanf(line + 7, "%79s", families[nfam]), 1);
            nfam++;
            continue;
        }
        nl = strspn(line, "abcdefghijklmnopqrstuvwxyz_0123456789:");
        assert_true(nl > 0 && nl < sizeof name);
        memcpy(name, line, nl);
        name[nl] = '\0';
        {
            bool found = false;
            for (int i = 0; i < nfam && !found; i++) {
                size_t fl = strlen(families[i]);
                found = strncmp(name, families[i], fl) == 0 &&
                        (name[fl] == '\0' || strcmp(name + fl, "_bucket") == 0
                         || strcmp(name + fl, "_sum") == 0 ||
                         strcmp(name + fl, "_count") == 0);
            }
            if (!found)
                fail_msg("sample %s without a TYPE line", name);
        }
        end = line + nl;
        if (*end == '{') {
            /* label="value" pairs with escapes */
            end++;
            while (*end != '}') {
                end += strspn(end, "abcdefghijklmnopqrstuvwxyz_");
                assert_int_equal(*end++, '=');
                assert_int_equal(*end++, '"');
                while (*end != '"') {
                    assert_true(*end != '\0' && *end != '\n');
                    if (*end == '\\')
                        end++;
                    end++;
                }
                end++;
                if (*end == ',')
                    end++;
            }
            end++;
        }
        assert_int_equal(*end, ' ');
        if (strcmp(end + 1, "NaN") != 0 && strcmp(end + 1, "+Inf") != 0) {
            char *vend;
            strtod(end + 1, &vend);
            assert_true(*vend == '\0');
        }
    }
    free(copy);
}

static void
test_metrics_format(void **state)
{
    struct fixture f;
    struct perf_set ps;
    char *m;

    (void)state;
    fixture_init(&f);
    f.svcs[0].group = "we\"b\\x";
    perf_set_init(&ps);
    perfdata_parse("mx1_time=0.25s 'with space'=3", &ps);
    web_hist_record(f.hist, f.svcs[0].group, "http", hosts2, 2, NOW_MS, 120,
                    0, true, 2000000000, NULL); /* 2 s late */
    web_hist_record(f.hist, f.svcs[0].group, "http", hosts2, 2, NOW_MS, 120,
                    0, true, 3000000, &ps);     /* 3 ms late */
    perf_set_fini(&ps);
    f.svcs[0].hist = web_hist_find(f.hist, f.svcs[0].group, "http");
    m = web_metrics(&f.snap);
    if (getenv("TEST_WEB_DUMP") != NULL)
        fputs(m, stderr);
    check_prom_format(m);
    assert_non_null(strstr(m, "mond_service_up{group=\"we\\\"b\\\\x\","
                              "service=\"http\"} 1\n"));
    assert_non_null(strstr(m, "mond_service_up{group=\"mail\","
                              "service=\"smtp\"} 0\n"));
    /* untested: no up sample */
    assert_null(strstr(m, "mond_service_up{group=\"dns\""));
    assert_non_null(strstr(m, "mond_perfdata{group=\"we\\\"b\\\\x\","
                              "service=\"http\",host=\"mx1\",label=\"time\","
                              "unit=\"s\"} 0.25\n"));
    assert_non_null(strstr(m, "label=\"with space\",unit=\"\"} 3\n"));
    assert_non_null(strstr(m, "mond_service_last_duration_seconds{group="
                              "\"we\\\"b\\\\x\",service=\"http\"} 0.12"));
    assert_non_null(strstr(m, "mond_check_lateness_seconds_bucket{le=\"0.001\"} 0\n"));
    assert_non_null(strstr(m, "mond_check_lateness_seconds_bucket{le=\"0.005\"} 1\n"));
    assert_non_null(strstr(m, "mond_check_lateness_seconds_bucket{le=\"1\"} 1\n"));
    assert_non_null(strstr(m, "mond_check_lateness_seconds_bucket{le=\"5\"} 2\n"));
    assert_non_null(strstr(m, "mond_check_lateness_seconds_bucket{le=\"+Inf\"} 2\n"));
    assert_non_null(strstr(m, "mond_check_lateness_seconds_count 2\n"));
    assert_non_null(strstr(m, "mond_spool_depth 2\n"));
    assert_non_null(strstr(m, "mond_config_last_reload_successful 1\n"));
    assert_non_null(strstr(m, "mond_service_failures_total{group=\"mail\","
                              "service=\"smtp\"} 3\n"));
    free(m);
    web_hist_free(f.hist);
}

static void
test_hist_ring(void **state)
{
    struct web_hist *h = web_hist_new();
    const struct web_svc_hist *hs;
    char g[32];

    (void)state;
    for (int i = 0; i < WEB_HIST_RECENT + 5; i++)
        web_hist_record(h, "g", "s", NULL, 0, i, i, i % 2, i % 2 == 0, -1,
                        NULL);
    /* many services: the table grows and finds them all */
    for (int i = 0; i < 1000; i++) {
        snprintf(g, sizeof g, "g%d", i);
        web_hist_record(h, g, "s", NULL, 0, i, 1, 0, true, -1, NULL);
    }
    hs = web_hist_find(h, "g", "s");
    assert_non_null(hs);
    assert_int_equal(hs->n, WEB_HIST_RECENT);
    assert_int_equal(web_hist_check(hs, 0).wall_ms, 5);        /* oldest */
    assert_int_equal(web_hist_check(hs, WEB_HIST_RECENT - 1).wall_ms,
                     WEB_HIST_RECENT + 4);
    assert_true(isnan(web_hist_check(hs, 0).resp_ms));
    for (int i = 0; i < 1000; i++) {
        snprintf(g, sizeof g, "g%d", i);
        hs = web_hist_find(h, g, "s");
        assert_non_null(hs);
        assert_int_equal(web_hist_check(hs, 0).wall_ms, i);
    }
    assert_null(web_hist_find(h, "g", "nope"));
    web_hist_free(h);
}

/* One check recorded for "g"/"s" with perfdata text perf (NULL: none). */
static void
record(struct web_hist *h, int64_t wall_ms, int64_t duration_ms, int exit,
       bool ok, const char *perf)
{
    struct perf_set ps;

    perf_set_init(&ps);
    if (perf != NULL)
        perfdata_parse(perf, &ps);
    web_hist_record(h, "g", "s", NULL, 0, wall_ms, duration_ms, exit, ok, -1,
                    &ps);
    perf_set_fini(&ps);
}

static struct web_check
last_check(const struct web_hist *h)
{
    const struct web_svc_hist *hs = web_hist_find(h, "g", "s");

    assert_non_null(hs);
    assert_true(hs->n > 0);
    return web_hist_check(hs, hs->n - 1);
}

/* Response times live beside the ring only once a check has one: each
 * check keeps its own (or NAN) through the ring's growth (4, 16, RECENT)
 * and its wrap-around. */
static void
test_hist_resp_beside_ring(void **state)
{
    struct web_hist *h = web_hist_new();
    const struct web_svc_hist *hs;
    const int total = WEB_HIST_RECENT + 23;
    char perf[32];

    (void)state;
    for (int i = 0; i < 10; i++)
        record(h, i, 1, 0, true, NULL);
    hs = web_hist_find(h, "g", "s");
    assert_null(hs->resp);              /* none reported: no array */
    for (int i = 10; i < total; i++) {
        /* every third check has one: t = i ms */
        if (i % 3 == 0) {
            snprintf(perf, sizeof perf, "t=%dms", i);
            record(h, i, 1, 0, true, perf);
        } else {
            record(h, i, 1, 0, true, NULL);
        }
    }
    hs = web_hist_find(h, "g", "s");
    assert_non_null(hs->resp);
    assert_int_equal(hs->n, WEB_HIST_RECENT);
    for (int k = 0; k < WEB_HIST_RECENT; k++) {
        struct web_check c = web_hist_check(hs, (size_t)k);
        int i = total - WEB_HIST_RECENT + k;

        assert_int_equal(c.wall_ms, i);
        if (i >= 10 && i % 3 == 0)
            assert_true(c.resp_ms == (double)i);
        else
            assert_true(isnan(c.resp_ms));
    }
    web_hist_free(h);

    /* The first response time arrives while the ring is still small. */
    h = web_hist_new();
    record(h, 1, 1, 0, true, NULL);
    record(h, 2, 1, 0, true, "t=7ms");
    for (int i = 3; i < 20; i++)
        record(h, i, 1, 0, true, NULL);
    hs = web_hist_find(h, "g", "s");
    assert_true(isnan(web_hist_check(hs, 0).resp_ms));
    assert_true(web_hist_check(hs, 1).resp_ms == 7.0);
    assert_true(isnan(web_hist_check(hs, 2).resp_ms));
    web_hist_free(h);
}

/* A check is packed into 12 bytes: each field at and beyond its limit. */
static void
test_hist_packing_limits(void **state)
{
    static const struct {
        int64_t in, out;
    } durs[] = {
        { 0, 0 },
        { 1, 1 },
        { 59999, 59999 },
        { WEB_HIST_DUR_EXACT_MS, WEB_HIST_DUR_EXACT_MS },   /* 69.9 min */
        { WEB_HIST_DUR_EXACT_MS + 1, 4194000 },     /* then whole seconds */
        { 86400123, 86400000 },
        { WEB_HIST_DUR_MAX_MS - 1, WEB_HIST_DUR_MAX_MS - 1000 },
        { WEB_HIST_DUR_MAX_MS, WEB_HIST_DUR_MAX_MS },
        { WEB_HIST_DUR_MAX_MS + 999, WEB_HIST_DUR_MAX_MS },     /* saturates */
        { INT64_MAX, WEB_HIST_DUR_MAX_MS },
        { -5, 0 },
    };
    static const struct {
        int in, out;
    } exits[] = {
        { 0, 0 }, { 1, 1 }, { 127, 127 }, { 137, 137 }, { 255, 255 },
        { 256, 255 }, { 1000, 255 }, { -1, 255 }, { -2147483647 - 1, 255 },
    };
    struct web_hist *h = web_hist_new();
    struct web_check c;
    int64_t t = NOW_MS;

    (void)state;
    for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++) {
        record(h, ++t, durs[i].in, 0, true, NULL);
        c = last_check(h);
        assert_int_equal(c.duration_ms, durs[i].out);
        assert_int_equal(c.wall_ms, t);
        /* the last duration (metrics, JSON) stays exact */
        assert_int_equal(web_hist_find(h, "g", "s")->last_duration_ms,
                         durs[i].in);
    }
    for (size_t i = 0; i < sizeof exits / sizeof exits[0]; i++) {
        record(h, ++t, 5, exits[i].in, false, NULL);
        c = last_check(h);
        assert_int_equal(c.exit_status, exits[i].out);
        assert_false(c.ok);             /* a saturated exit is never ok */
        assert_int_equal(c.duration_ms, 5);
    }
    /* ok is its own bit, whatever the exit */
    record(h, ++t, 5, 0, false, NULL);
    assert_false(last_check(h).ok);
    record(h, ++t, 5, 255, true, NULL);
    c = last_check(h);
    assert_true(c.ok);
    assert_int_equal(c.exit_status, 255);

    /* response time: none is NAN, units become ms, floats beyond range
     * saturate, non-finite stays so */
    record(h, ++t, 5, 0, true, NULL);
    assert_true(isnan(last_check(h).resp_ms));
    record(h, ++t, 5, 0, true, "n=3");          /* not time-like */
    assert_true(isnan(last_check(h).resp_ms));
    record(h, ++t, 5, 0, true, "t=0.25s");
    assert_true(last_check(h).resp_ms == 250.0);
    record(h, ++t, 5, 0, true, "t=1500us");
    assert_true(last_check(h).resp_ms == 1.5);
    record(h, ++t, 5, 0, true, "t=123.456ms");     /* as printed, not */
    assert_true(last_check(h).resp_ms == 123.456);  /* 123.45600128 */
    record(h, ++t, 5, 0, true, "t=0.001234s");
    assert_true(last_check(h).resp_ms == 1.234);
    record(h, ++t, 5, 0, true, "t=98765.4321ms");   /* float keeps 7 digits */
    assert_true(last_check(h).resp_ms == 98765.43);
    record(h, ++t, 5, 0, true, "t=0.000002us");
    assert_true(last_check(h).resp_ms == 2e-9);
    record(h, ++t, 5, 0, true, "t=1e300s");
    assert_true(last_check(h).resp_ms == FLT_MAX);
    record(h, ++t, 5, 0, true, "t=-1e300s");
    assert_true(last_check(h).resp_ms == -FLT_MAX);
    record(h, ++t, 5, 0, true, "t=NaNms");
    assert_true(isnan(last_check(h).resp_ms));
    assert_int_equal(last_check(h).wall_ms, t);
    web_hist_free(h);
}

/* Check times stay exact to the ms; a span beyond 49.7 days (or a clock
 * stepped back that far) drops the oldest checks, never garbles them. */
static void
test_hist_time_span(void **state)
{
    struct web_hist *h = web_hist_new();
    const struct web_svc_hist *hs;
    const int64_t span = WEB_HIST_SPAN_MS;
    int64_t want[8];
    size_t nw = 0;

    (void)state;
    record(h, NOW_MS, 1, 0, true, NULL);
    record(h, NOW_MS + 1, 2, 0, true, NULL);
    record(h, NOW_MS - 1000, 3, 0, true, NULL);     /* clock stepped back */
    record(h, NOW_MS + span - 1000, 4, 0, true, NULL);  /* just fits */
    hs = web_hist_find(h, "g", "s");
    assert_int_equal(hs->n, 4);
    assert_int_equal(web_hist_check(hs, 0).wall_ms, NOW_MS);
    assert_int_equal(web_hist_check(hs, 1).wall_ms, NOW_MS + 1);
    assert_int_equal(web_hist_check(hs, 2).wall_ms, NOW_MS - 1000);
    assert_int_equal(web_hist_check(hs, 3).wall_ms, NOW_MS + span - 1000);
    assert_int_equal(web_hist_check(hs, 2).duration_ms, 3);

    /* NOW_MS - 1000 must go, and the two before it (oldest first) */
    record(h, NOW_MS + span + 5, 5, 1, false, NULL);
    hs = web_hist_find(h, "g", "s");
    assert_int_equal(hs->n, 2);
    assert_int_equal(web_hist_check(hs, 0).wall_ms, NOW_MS + span - 1000);
    assert_int_equal(web_hist_check(hs, 0).duration_ms, 4);
    assert_int_equal(web_hist_check(hs, 1).wall_ms, NOW_MS + span + 5);
    assert_int_equal(web_hist_check(hs, 1).exit_status, 1);

    /* the ring wrapped inside its first 4 records, then grows: order and
     * values survive the copy */
    want[nw++] = NOW_MS + span - 1000;
    want[nw++] = NOW_MS + span + 5;
    for (int i = 0; i < 6; i++) {
        want[nw] = NOW_MS + span + 10 + i;
        record(h, want[nw], 100 + i, 0, true, NULL);
        nw++;
    }
    hs = web_hist_find(h, "g", "s");
    assert_int_equal(hs->n, nw);
    for (size_t i = 0; i < nw; i++)
        assert_int_equal(web_hist_check(hs, i).wall_ms, want[i]);

    /* a step back by more than the span keeps only the new check */
    record(h, NOW_MS - span, 7, 0, true, NULL);
    hs = web_hist_find(h, "g", "s");
    assert_int_equal(hs->n, 1);
    assert_int_equal(web_hist_check(hs, 0).wall_ms, NOW_MS - span);
    assert_int_equal(web_hist_check(hs, 0).duration_ms, 7);
    web_hist_free(h);
}

/* The ring grows in steps and then keeps exactly WEB_HIST_RECENT. */
static void
test_hist_ring_growth(void **state)
{
    struct web_hist *h = web_hist_new();
    const struct web_svc_hist *hs;

    (void)state;
    for (int i = 0; i < 3 * WEB_HIST_RECENT; i++) {
        size_t n;
        record(h, NOW_MS + 10000LL * i, i, i % 3, i % 3 == 0, NULL);
        hs = web_hist_find(h, "g", "s");
        n = (size_t)i + 1 < WEB_HIST_RECENT ? (size_t)i + 1 : WEB_HIST_RECENT;
        assert_int_equal(hs->n, n);
        for (size_t k = 0; k < n; k++) {
            struct web_check c = web_hist_check(hs, k);
            int j = i + 1 - (int)n + (int)k;
            assert_int_equal(c.wall_ms, NOW_MS + 10000LL * j);
            assert_int_equal(c.duration_ms, j);
            assert_int_equal(c.exit_status, j % 3);
            assert_int_equal(c.ok, j % 3 == 0);
        }
    }
    web_hist_free(h);
}

static void
test_dtlog_parse(void **state)
{
    const char *log =
        "#\n# downtime log start 1763990000\n"
        "# time back up, group, service, first failure, downtime, interval, summary\n"
        "#\n"
        "1763999000 mail smtp 1763998000 1000 60 mx1 down\n"
        "1763999500 web http 1763999400 100 60 x\n"
        "garbage line\n"
        "17639x9000 mail smtp 1763998000 1000 60 bad number\n"
        "1763990000 mail smtp 1763999999 0 60 back before it failed\n"
        "1764000000 mail smtp 1763999900 100 60 last, no newline";
    struct web_downtime *d = NULL;
    size_t cap, n;

    (void)state;
    n = web_dtlog_parse(log, strlen(log), "mail", "smtp", &d, &cap);
    assert_int_equal(n, 2);
    assert_int_equal(d[0].start_s, 1763998000);
    assert_int_equal(d[0].end_s, 1763999000);
    assert_int_equal(d[1].start_s, 1763999900);
    free(d);
    n = web_dtlog_parse(log, strlen(log), "mail", "smt", &d, &cap);
    assert_int_equal(n, 0);
    free(d);
}

static void
test_uptime_math(void **state)
{
    const int64_t now = 1764000000, day = 86400;
    struct web_downtime d[] = {
        { now - 3600, now - 1800 },             /* 30 min */
        { now - 2700, now - 900 },              /* overlaps: +15 min */
        { now - 8 * day, now - 8 * day + 864 }, /* outside 7 d, inside 30 d */
        { now - day - 600, now - day + 600 },   /* half inside 24 h */
    };

    (void)state;
    assert_true(web_uptime(NULL, 0, now, day) == 1.0);
    /* 24 h: 45 min + 10 min down */
    assert_true(fabs(web_uptime(d, 4, now, day) -
                     (1.0 - (45 * 60 + 600) / (double)day)) < 1e-12);
    /* 7 d: 45 min + 20 min */
    assert_true(fabs(web_uptime(d, 4, now, 7 * day) -
                     (1.0 - (65 * 60) / (7.0 * day))) < 1e-12);
    /* 30 d: + 864 s */
    assert_true(fabs(web_uptime(d, 4, now, 30 * day) -
                     (1.0 - (65 * 60 + 864) / (30.0 * day))) < 1e-12);
    /* a downtime covering the whole window */
    {
        struct web_downtime all = { now - 40 * day, now + 10 };
        assert_true(web_uptime(&all, 1, now, day) == 0.0);
    }
}

static void
test_history_match(void **state)
{
    (void)state;
    assert_true(web_history_is_for("failure mail smtp 1 a (b) c", "mail",
                                   "smtp"));
    assert_false(web_history_is_for("failure mail smtp2 1 a", "mail", "smtp"));
    assert_false(web_history_is_for("failure mailx smtp 1 a", "mail", "smtp"));
    assert_false(web_history_is_for("failure", "mail", "smtp"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_words),
        cmocka_unit_test(test_sort_failing_first),
        cmocka_unit_test(test_html_escaping),
        cmocka_unit_test(test_service_page_parts),
        cmocka_unit_test(test_url_segments),
        cmocka_unit_test(test_json_status_shape),
        cmocka_unit_test(test_json_service_and_error),
        cmocka_unit_test(test_json_alerts),
        cmocka_unit_test(test_metrics_format),
        cmocka_unit_test(test_hist_ring),
        cmocka_unit_test(test_hist_resp_beside_ring),
        cmocka_unit_test(test_hist_packing_limits),
        cmocka_unit_test(test_hist_time_span),
        cmocka_unit_test(test_hist_ring_growth),
        cmocka_unit_test(test_dtlog_parse),
        cmocka_unit_test(test_uptime_math),
        cmocka_unit_test(test_history_match),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
