/*
 * test_alertmsg.c — alertlib: mon's alert argv/env/stdin, the text a
 * person reads, and the MIME rules mail.alert relies on (RFC 2047 words
 * that never split a UTF-8 character, folding, no header injection,
 * quoted-printable body, Date, Message-ID).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "alertmsg.h"
#include "mime.h"
#include "strbuf.h"

/* ---- helpers ----------------------------------------------------------- */

static void
setup_info(struct alert_info *ai, const char *input, char *const *envp)
{
    char err[128];
    alert_info_init(ai);
    assert_int_equal(alert_mon_option(ai, 's', "http", err, sizeof(err)), 1);
    assert_int_equal(alert_mon_option(ai, 'g', "web", err, sizeof(err)), 1);
    assert_int_equal(alert_mon_option(ai, 'h', "web1 web2", err,
                                      sizeof(err)), 1);
    assert_int_equal(alert_mon_option(ai, 't', "1700000000", err,
                                      sizeof(err)), 1);
    alert_info_set_input(ai, input, strlen(input));
    alert_info_from_env(ai, envp);
}

/* Decode one "=?UTF-8?B?...?=" word; returns bytes appended to out. */
static size_t
decode_word(const char *w, size_t wlen, unsigned char *out)
{
    assert_true(wlen > 12);
    assert_memory_equal(w, "=?UTF-8?B?", 10);
    assert_memory_equal(w + wlen - 2, "?=", 2);
    int n = EVP_DecodeBlock(out, (const unsigned char *)w + 10,
                            (int)(wlen - 12));
    assert_true(n >= 0);
    size_t pad = 0;
    if (wlen - 12 >= 1 && w[wlen - 3] == '=')
        pad++;
    if (wlen - 12 >= 2 && w[wlen - 4] == '=')
        pad++;
    return (size_t)n - pad;
}

/* True when buf[0..n) is complete UTF-8 (no character cut). */
static bool
utf8_complete(const unsigned char *b, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t l = b[i] < 0x80 ? 1 : b[i] >= 0xf0 ? 4 : b[i] >= 0xe0 ? 3 :
                   b[i] >= 0xc0 ? 2 : 0;
        if (l == 0 || i + l > n)
            return false;
        for (size_t k = 1; k < l; k++)
            if ((b[i + k] & 0xc0) != 0x80)
                return false;
        i += l;
    }
    return true;
}

/* Split a header block (one header, CRLF, folded) into its encoded words,
 * check each line's length, each word's length and completeness; return
 * the decoded value. */
static char *
decode_subject_header(const char *hdr, const char *name)
{
    size_t nlen = strlen(name);
    assert_memory_equal(hdr, name, nlen);
    assert_memory_equal(hdr + nlen, ": ", 2);
    const char *p = hdr + nlen + 2;
    unsigned char out[4096];
    size_t olen = 0;
    const char *line_start = hdr;
    for (;;) {
        const char *end = strstr(p, "\r\n");
        assert_non_null(end);
        assert_true((size_t)(end - line_start) <= 78);
        /* words on this line, separated by spaces */
        const char *q = p;
        while (q < end) {
            const char *sp = memchr(q, ' ', (size_t)(end - q));
            const char *we = sp ? sp : end;
            assert_true((size_t)(we - q) <= 75);
            unsigned char tmp[256];
            size_t n = decode_word(q, (size_t)(we - q), tmp);
            assert_true(utf8_complete(tmp, n));
            memcpy(out + olen, tmp, n);
            olen += n;
            q = sp ? sp + 1 : end;
        }
        if (end[2] != ' ')
            break;
        line_start = end + 2;
        p = end + 3;
    }
    out[olen] = '\0';
    return strdup((char *)out);
}

/* ---- argv / env / stdin ------------------------------------------------ */

static void
test_mon_options(void **state)
{
    (void)state;
    struct alert_info ai;
    char err[128];
    alert_info_init(&ai);
    assert_int_equal(alert_mon_option(&ai, 'l', "3600", err, sizeof(err)), 1);
    assert_int_equal(ai.alertevery_s, 3600);
    assert_int_equal(alert_mon_option(&ai, 't', "12x", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "-t: expected seconds"));
    assert_int_equal(alert_mon_option(&ai, 'l', "-5", err, sizeof(err)), -1);
    assert_int_equal(alert_mon_option(&ai, 'x', "1", err, sizeof(err)), 0);
    assert_int_equal(alert_mon_option(&ai, 'u', NULL, err, sizeof(err)), 1);
    assert_true(ai.flag_up);
    alert_info_fini(&ai);
}

static void
test_env_and_input(void **state)
{
    (void)state;
    char *envp[] = {
        "MON_ALERTTYPE=failure", "MON_RETVAL=2", "MON_OPSTATUS=0",
        "MON_DESCRIPTION=front web servers", "MON_FIRST_FAILURE=1699999700",
        "MON_LAST_SUCCESS=1699999000", "MON_GROUP=ignored",
        "MON_LAST_FAILURE=bogus", NULL };
    struct alert_info ai;
    setup_info(&ai, "web1 down\r\nline 1\nline 2\n", envp);
    assert_string_equal(ai.group, "web");           /* -g wins */
    assert_string_equal(ai.summary, "web1 down");   /* CR stripped */
    assert_string_equal(ai.detail, "line 1\nline 2\n");
    assert_true(ai.has_retval);
    assert_int_equal(ai.retval, 2);
    assert_string_equal(ai.opstatus, "0");
    assert_string_equal(ai.description, "front web servers");
    assert_int_equal(ai.first_failure_wall_s, 1699999700);
    assert_int_equal(ai.last_success_wall_s, 1699999000);
    assert_int_equal(ai.last_failure_wall_s, 0);    /* malformed: absent */
    assert_int_equal(ai.type, ALERT_FAILURE);
    alert_info_fini(&ai);
}

static void
test_type_and_keyword(void **state)
{
    (void)state;
    static const struct {
        const char *env; bool up, trap, tto; const char *kw;
    } cases[] = {
        { "failure", false, false, false, "ALERT" },
        { "up", false, false, false, "UPALERT" },
        { "failure", true, false, false, "UPALERT" },   /* -u wins */
        { "startup", false, false, false, "STARTUP" },
        { "trap", false, false, false, "TRAP" },
        { "traptimeout", false, false, false, "TRAPTIMEOUT" },
        { NULL, false, true, false, "TRAP" },
        { NULL, false, false, true, "TRAPTIMEOUT" },
        { NULL, false, false, false, "ALERT" },
        { "nonsense", false, false, false, "ALERT" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct alert_info ai;
        alert_info_init(&ai);
        ai.flag_up = cases[i].up;
        ai.flag_trap = cases[i].trap;
        ai.flag_traptimeout = cases[i].tto;
        alert_info_finish(&ai, cases[i].env);
        assert_string_equal(alert_type_keyword(ai.type), cases[i].kw);
        alert_info_fini(&ai);
    }
}

static void
test_summary_override_and_no_input(void **state)
{
    (void)state;
    struct alert_info ai;
    char err[64];
    alert_info_init(&ai);
    assert_int_equal(alert_mon_option(&ai, 'S', "forced", err, sizeof(err)),
                     1);
    alert_info_set_input(&ai, "from stdin\n", 11);
    alert_info_finish(&ai, NULL);
    assert_string_equal(ai.summary, "forced");
    alert_info_fini(&ai);

    alert_info_init(&ai);
    alert_info_set_input(&ai, "", 0);
    alert_info_finish(&ai, NULL);
    assert_string_equal(ai.summary, "");
    assert_string_equal(ai.detail, "");
    char *s = alert_subject(&ai);
    assert_string_equal(s, "ALERT /");
    free(s);
    alert_info_fini(&ai);
}

/* ---- subject and body text -------------------------------------------- */

static void
test_subject_injection_cleaned(void **state)
{
    (void)state;
    struct alert_info ai;
    char *envp[] = { NULL };
    setup_info(&ai, "x", envp);
    free(ai.summary);
    ai.summary = strdup("down\r\nBcc: evil@example.com\x01");
    char *s = alert_subject(&ai);
    assert_string_equal(s, "ALERT web/http: down  Bcc: evil@example.com");
    free(s);
    alert_info_fini(&ai);
}

static void
test_clean_invalid_utf8(void **state)
{
    (void)state;
    char *s = alert_clean_line("a\xff" "b\xe3\x81" "c\xc2\x85" "d");
    assert_string_equal(s, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd"
                        "c d");
    free(s);
    char *t = alert_clean_text("l1\r\nl2\tx\x07\n");
    assert_string_equal(t, "l1\nl2\tx \n");
    free(t);
}

static void
test_duration(void **state)
{
    (void)state;
    char b[32];
    alert_format_duration(45, b, sizeof(b));
    assert_string_equal(b, "45s");
    alert_format_duration(200, b, sizeof(b));
    assert_string_equal(b, "3m 20s");
    alert_format_duration(7500, b, sizeof(b));
    assert_string_equal(b, "2h 5m");
    alert_format_duration(3 * 86400 + 4 * 3600 + 5, b, sizeof(b));
    assert_string_equal(b, "3d 4h");
    alert_format_duration(-3, b, sizeof(b));
    assert_string_equal(b, "0s");
}

static void
test_body_failure(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    char *envp[] = { "MON_RETVAL=2", "MON_DESCRIPTION=front ends",
                     "MON_FIRST_FAILURE=1699999700",
                     "MON_LAST_SUCCESS=1699999640", NULL };
    struct alert_info ai;
    setup_info(&ai, "web1 down\nweb1: connect refused\n", envp);
    ai.alertevery_s = 3600;
    char *b = alert_body(&ai, 0);
    assert_non_null(strstr(b, "ALERT web/http: web1 down\n\n"));
    assert_non_null(strstr(b, "Summary      : web1 down\n"));
    assert_non_null(strstr(b, "Alert type   : failure (exit 2)\n"));
    assert_non_null(strstr(b, "Hosts        : web1 web2\n"));
    assert_non_null(strstr(b, "Detected     : Tue, 14 Nov 2023 22:13:20 "
                           "+0000\n"));
    assert_non_null(strstr(b, "Description  : front ends\n"));
    assert_non_null(strstr(b, "Failing for  : 5m 0s (since Tue, 14 Nov 2023 "
                           "22:08:20 +0000)\n"));
    assert_non_null(strstr(b, "Last OK      : Tue, 14 Nov 2023 22:07:20 "
                           "+0000\n"));
    assert_non_null(strstr(b, "Next alert   : not before Tue, 14 Nov 2023 "
                           "23:13:20 +0000 (every 1h 0m)\n"));
    assert_non_null(strstr(b, "\nDetail:\nweb1: connect refused\n"));
    assert_null(strstr(b, "more bytes of detail"));
    free(b);
    ai.input_dropped = 1234;
    b = alert_body(&ai, 0);
    assert_non_null(strstr(b, "[1234 more bytes of detail not shown]\n"));
    free(b);
    alert_info_fini(&ai);
}

static void
test_body_upalert(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    char *envp[] = { "MON_FIRST_FAILURE=1699996400", NULL };
    struct alert_info ai;
    char err[64];
    alert_info_init(&ai);
    alert_mon_option(&ai, 'g', "db", err, sizeof(err));
    alert_mon_option(&ai, 's', "pgsql", err, sizeof(err));
    alert_mon_option(&ai, 't', "1700000000", err, sizeof(err));
    alert_mon_option(&ai, 'l', "600", err, sizeof(err));
    alert_mon_option(&ai, 'u', NULL, err, sizeof(err));
    alert_info_set_input(&ai, "db1 back\n", 9);
    alert_info_from_env(&ai, envp);
    char *b = alert_body(&ai, 0);
    assert_non_null(strstr(b, "UPALERT db/pgsql: db1 back\n"));
    assert_non_null(strstr(b, "Was down for : 1h 0m"));
    assert_non_null(strstr(b, "Recovered    : "));
    assert_null(strstr(b, "Next alert"));
    free(b);
    alert_info_fini(&ai);
}

/* ---- MIME -------------------------------------------------------------- */

static void
test_header_ascii_folded(void **state)
{
    (void)state;
    struct strbuf b = STRBUF_INIT;
    mime_add_header(&b, "Subject", "ALERT web/http: www1 www2 www3 www4 www5 "
                    "www6 www7 www8 www9 www10 www11 www12 www13 www14");
    /* folded before a space, every line <= 78, unfolds to the value */
    const char *nl = strstr(b.s, "\r\n");
    assert_true((size_t)(nl - b.s) <= 78);
    assert_true(nl[2] == ' ');
    assert_true(strlen(nl + 2) - 2 <= 78);
    char unfolded[512];
    size_t o = 0;
    for (const char *p = b.s; *p; p++) {
        if (p[0] == '\r' && p[1] == '\n') {
            p++;
            continue;
        }
        unfolded[o++] = *p;
    }
    unfolded[o] = '\0';
    assert_string_equal(unfolded, "Subject: ALERT web/http: www1 www2 www3 "
                        "www4 www5 www6 www7 www8 www9 www10 www11 www12 "
                        "www13 www14");
    strbuf_fini(&b);

    mime_add_header(&b, "Subject", "short");
    assert_string_equal(b.s, "Subject: short\r\n");
    strbuf_fini(&b);
}

static void
test_header_injection_impossible(void **state)
{
    (void)state;
    struct strbuf b = STRBUF_INIT;
    mime_add_header(&b, "Subject", "ALERT x: a\r\nBcc: evil@example.com\n"
                    "\rX-Evil: 1");
    /* exactly one line: the only CRLF is the terminator */
    assert_string_equal(b.s, "Subject: ALERT x: a  Bcc: evil@example.com  "
                        "X-Evil: 1\r\n");
    strbuf_fini(&b);
}

static void
test_header_japanese_encoded_words(void **state)
{
    (void)state;
    /* 3-byte characters: a naive 45-byte cut would split one. */
    const char *v = "ALERT web/http: ウェブサーバー web1 が応答しません。"
                    "接続がタイムアウトしました（30秒）、再試行します";
    struct strbuf b = STRBUF_INIT;
    mime_add_header(&b, "Subject", v);
    assert_non_null(strstr(b.s, "\r\n "));          /* several lines */
    char *dec = decode_subject_header(b.s, "Subject");
    assert_string_equal(dec, v);
    free(dec);
    strbuf_fini(&b);
}

static void
test_header_mixed_widths_never_split(void **state)
{
    (void)state;
    /* Every offset of a 1/2/3/4-byte mix lands on every cut position. */
    const char *unit = "a\xc3\xa9\xe3\x81\x82\xf0\x9f\x94\xa5";  /* aéあ🔥 */
    for (int pre = 0; pre < 12; pre++) {
        struct strbuf v = STRBUF_INIT;
        for (int i = 0; i < pre; i++)
            strbuf_addc(&v, 'x');
        for (int i = 0; i < 30; i++)
            strbuf_adds(&v, unit);
        struct strbuf b = STRBUF_INIT;
        mime_add_header(&b, "Subject", v.s);
        char *dec = decode_subject_header(b.s, "Subject");
        assert_string_equal(dec, v.s);
        free(dec);
        strbuf_fini(&b);
        strbuf_fini(&v);
    }
}

static void
test_header_long_word_encoded(void **state)
{
    (void)state;
    /* an ASCII word too long to fold is sent as encoded words */
    char v[300];
    memset(v, 'A', 299);
    v[299] = '\0';
    struct strbuf b = STRBUF_INIT;
    mime_add_header(&b, "Subject", v);
    char *dec = decode_subject_header(b.s, "Subject");
    assert_string_equal(dec, v);
    free(dec);
    strbuf_fini(&b);
    /* "=?" in plain text would be misread: encoded too */
    mime_add_header(&b, "Subject", "a =?x?= b");
    dec = decode_subject_header(b.s, "Subject");
    assert_string_equal(dec, "a =?x?= b");
    free(dec);
    strbuf_fini(&b);
}

static void
test_qp_body(void **state)
{
    (void)state;
    struct strbuf b = STRBUF_INIT;
    char longline[301];
    memset(longline, 'x', 300);
    longline[300] = '\0';
    struct strbuf in = STRBUF_INIT;
    strbuf_adds(&in, "caf\xc3\xa9 = ok \n.\nFrom me\n");
    strbuf_adds(&in, longline);
    strbuf_adds(&in, "\n");
    mime_add_qp(&b, in.s);
    assert_memory_equal(b.s, "caf=C3=A9 =3D ok=20\r\n=2E\r\n=46rom me\r\n",
                        strlen("caf=C3=A9 =3D ok=20\r\n=2E\r\n=46rom me\r\n"));
    /* every line <= 76, 7-bit */
    const char *p = b.s;
    while (*p) {
        const char *e = strstr(p, "\r\n");
        assert_non_null(e);
        assert_true(e - p <= 76);
        for (const char *q = p; q < e; q++)
            assert_true((unsigned char)*q < 0x80);
        p = e + 2;
    }
    strbuf_fini(&b);
    strbuf_fini(&in);
}

static void
test_address_ok(void **state)
{
    (void)state;
    assert_true(mime_address_ok("root@example.com"));
    assert_true(mime_address_ok("a.b+c@mail.example.org"));
    assert_false(mime_address_ok("root"));
    assert_false(mime_address_ok("@example.com"));
    assert_false(mime_address_ok("root@"));
    assert_false(mime_address_ok("a b@example.com"));
    assert_false(mime_address_ok("a@example.com\r\nBcc: x@y"));
    assert_false(mime_address_ok("<a@example.com>"));
    assert_false(mime_address_ok("a@b.com,c@d.com"));
}

static void
test_message_id(void **state)
{
    (void)state;
    char *id = mime_message_id(1700000000, 4242, 0xabcdefULL, "example.org");
    assert_string_equal(id, "<20231114221320.4242.0000000000abcdef"
                        "@example.org>");
    free(id);
}

static void
test_build_message(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    const char *to[] = { "alice@example.org", "bob@example.org" };
    struct mime_mail m = {
        .from = "mond@example.org", .to = to, .nto = 2,
        .subject = "ALERT web/http: ウェブ down\r\nBcc: evil@x.y",
        .body = "line 1\nline 2\n", .date_wall_s = 1700000000,
        .message_id = "<1.2.3@example.org>", .mailer = "mond test",
    };
    char *msg = mime_build_message(&m);
    assert_memory_equal(msg, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
                        "From: mond@example.org\r\n"
                        "To: alice@example.org, bob@example.org\r\n"
                        "Subject: =?UTF-8?B?",
                        strlen("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
                               "From: mond@example.org\r\n"
                               "To: alice@example.org, bob@example.org\r\n"
                               "Subject: =?UTF-8?B?"));
    assert_non_null(strstr(msg, "\r\nMessage-ID: <1.2.3@example.org>\r\n"));
    assert_non_null(strstr(msg, "\r\nMIME-Version: 1.0\r\n"));
    assert_non_null(strstr(msg, "\r\nContent-Type: text/plain; "
                           "charset=UTF-8\r\n"));
    assert_non_null(strstr(msg, "\r\nContent-Transfer-Encoding: "
                           "quoted-printable\r\n"));
    assert_null(strstr(msg, "\r\nBcc:"));
    assert_non_null(strstr(msg, "\r\n\r\nline 1\r\nline 2\r\n"));
    /* no bare LF, no line over 78 */
    for (const char *p = msg; *p; ) {
        const char *e = strstr(p, "\r\n");
        assert_non_null(e);
        assert_null(memchr(p, '\n', (size_t)(e - p)));
        assert_true(e - p <= 78);
        p = e + 2;
    }
    free(msg);
}

static void
test_to_header_folded(void **state)
{
    (void)state;
    const char *to[] = { "alice.longname@example.org", "bob.longname@example.org",
                         "carol.longname@example.org", "dave@example.org" };
    struct strbuf b = STRBUF_INIT;
    mime_add_address_header(&b, "To", to, 4);
    assert_string_equal(b.s, "To: alice.longname@example.org, "
                        "bob.longname@example.org,\r\n"
                        " carol.longname@example.org, dave@example.org\r\n");
    strbuf_fini(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mon_options),
        cmocka_unit_test(test_env_and_input),
        cmocka_unit_test(test_type_and_keyword),
        cmocka_unit_test(test_summary_override_and_no_input),
        cmocka_unit_test(test_subject_injection_cleaned),
        cmocka_unit_test(test_clean_invalid_utf8),
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_body_failure),
        cmocka_unit_test(test_body_upalert),
        cmocka_unit_test(test_header_ascii_folded),
        cmocka_unit_test(test_header_injection_impossible),
        cmocka_unit_test(test_header_japanese_encoded_words),
        cmocka_unit_test(test_header_mixed_widths_never_split),
        cmocka_unit_test(test_header_long_word_encoded),
        cmocka_unit_test(test_qp_body),
        cmocka_unit_test(test_address_ok),
        cmocka_unit_test(test_message_id),
        cmocka_unit_test(test_build_message),
        cmocka_unit_test(test_to_header_folded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
