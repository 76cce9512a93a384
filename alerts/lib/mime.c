/*
 * mime.c — RFC 5322 / MIME message building for mail.alert (see mime.h).
 */
#include "mime.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "alertmsg.h"

#define EW_PREFIX "=?UTF-8?B?"
#define EW_SUFFIX "?="
#define EW_MAX 75                           /* RFC 2047 section 2 */
#define EW_OVERHEAD (sizeof(EW_PREFIX) - 1 + sizeof(EW_SUFFIX) - 1)
/* A plain ASCII word longer than this is encoded rather than folded. */
#define FOLD_WORD_MAX 60

void
mime_add_base64(struct strbuf *out, const void *data, size_t len)
{
    /* EVP_EncodeBlock takes int lengths; headers and bodies are small,
     * but encode in chunks anyway (multiples of 3 keep it seamless). */
    const unsigned char *p = data;
    unsigned char enc[4 * 1024 + 4];
    while (len > 0) {
        size_t n = len > 3 * 1024 ? 3 * 1024 : len;
        int k = EVP_EncodeBlock(enc, p, (int)n);
        strbuf_add(out, enc, (size_t)k);
        p += n;
        len -= n;
    }
}

/* Length in bytes of the UTF-8 character at s (text already cleaned). */
static size_t
u8len(const unsigned char *s)
{
    if (*s < 0x80)
        return 1;
    if (*s >= 0xf0)
        return 4;
    if (*s >= 0xe0)
        return 3;
    return 2;
}

static bool
needs_encoding(const char *v)
{
    size_t word = 0;
    if (strstr(v, "=?") != NULL)
        return true;            /* would be decoded as an encoded word */
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p >= 0x80)
            return true;
        word = *p == ' ' ? 0 : word + 1;
        if (word > FOLD_WORD_MAX)
            return true;
    }
    return false;
}

/* Encoded words for v starting on a line that already holds col chars. */
static void
add_encoded_words(struct strbuf *out, const char *v, size_t col)
{
    const unsigned char *p = (const unsigned char *)v;
    size_t left = strlen(v);

    while (left > 0) {
        if (col + EW_OVERHEAD + 8 > MIME_LINE_SOFT) {
            strbuf_adds(out, "\r\n ");     /* a long header name */
            col = 1;
        }
        size_t budget = MIME_LINE_SOFT - col - EW_OVERHEAD;
        if (budget > EW_MAX - EW_OVERHEAD)
            budget = EW_MAX - EW_OVERHEAD;
        size_t raw_max = budget / 4 * 3;
        size_t take = 0;
        while (take < left) {
            size_t n = u8len(p + take);
            if (take + n > raw_max)
                break;
            take += n;
        }
        strbuf_adds(out, EW_PREFIX);
        mime_add_base64(out, p, take);
        strbuf_adds(out, EW_SUFFIX);
        p += take;
        left -= take;
        if (left > 0) {
            strbuf_adds(out, "\r\n ");
            col = 1;
        }
    }
}

/* Plain ASCII folded before a space when a line would pass 78. */
static void
add_folded(struct strbuf *out, const char *v, size_t col)
{
    const char *p = v;
    bool first = true;
    while (*p != '\0') {
        const char *q = p;
        while (*q == ' ')
            q++;
        while (*q != '\0' && *q != ' ')
            q++;
        size_t n = (size_t)(q - p);
        if (!first && col + n > MIME_LINE_SOFT && *p == ' ') {
            strbuf_adds(out, "\r\n");
            col = 0;
        }
        strbuf_add(out, p, n);
        col += n;
        first = false;
        p = q;
    }
}

void
mime_add_header(struct strbuf *out, const char *name, const char *value)
{
    char *v = alert_clean_line(value);
    size_t col = strlen(name) + 2;

    strbuf_addf(out, "%s: ", name);
    if (needs_encoding(v))
        add_encoded_words(out, v, col);
    else
        add_folded(out, v, col);
    strbuf_adds(out, "\r\n");
    free(v);
}

void
mime_add_address_header(struct strbuf *out, const char *name,
                        const char *const *addrs, size_t n)
{
    size_t col = strlen(name) + 2;
    strbuf_addf(out, "%s: ", name);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(addrs[i]) + (i + 1 < n ? 1 : 0);
        if (i > 0) {
            if (col + 1 + len > MIME_LINE_SOFT) {
                strbuf_adds(out, "\r\n ");
                col = 1;
            } else {
                strbuf_addc(out, ' ');
                col++;
            }
        }
        strbuf_adds(out, addrs[i]);
        if (i + 1 < n)
            strbuf_addc(out, ',');
        col += len;
    }
    strbuf_adds(out, "\r\n");
}

bool
mime_address_ok(const char *addr)
{
    size_t len = strlen(addr);
    const char *at = strrchr(addr, '@');
    if (len == 0 || len > MIME_ADDR_MAX || at == NULL || at == addr ||
        at[1] == '\0')
        return false;
    for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || strchr("<>()[],;:\"\\", *p))
            return false;
    return true;
}

char *
mime_message_id(int64_t wall_s, long pid, uint64_t rnd, const char *domain)
{
    time_t t = (time_t)wall_s;
    struct tm tm;
    char ts[32] = "0";
    if (gmtime_r(&t, &tm) != NULL)
        strftime(ts, sizeof(ts), "%Y%m%d%H%M%S", &tm);
    struct strbuf b = STRBUF_INIT;
    strbuf_addf(&b, "<%s.%ld.%016" PRIx64 "@%s>", ts, pid, rnd,
                domain && *domain ? domain : "localhost");
    return strbuf_take(&b);
}

static const char hexd[] = "0123456789ABCDEF";

static void
qp_byte(struct strbuf *line, unsigned char c)
{
    char e[3] = { '=', hexd[c >> 4], hexd[c & 15] };
    strbuf_add(line, e, 3);
}

/* One input line (no line end) as QP, soft-broken to 76 columns. */
static void
qp_line(struct strbuf *out, const unsigned char *p, size_t n)
{
    size_t col = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        char tok[4];
        size_t tl;
        bool at_end = i + 1 == n;
        bool escape = c >= 0x7f || c == '=' ||
                      (c < 0x20 && c != '\t') ||
                      ((c == ' ' || c == '\t') && at_end) ||
                      (col == 0 && c == '.') ||
                      (col == 0 && c == 'F' && n - i >= 5 &&
                       memcmp(p + i, "From ", 5) == 0);
        if (escape) {
            tok[0] = '=';
            tok[1] = hexd[c >> 4];
            tok[2] = hexd[c & 15];
            tl = 3;
        } else {
            tok[0] = (char)c;
            tl = 1;
        }
        /* Keep room for the soft break "=" within 76 columns, unless this
         * is the last token of the line. */
        if (col + tl > (at_end ? 76 : 75)) {
            strbuf_adds(out, "=\r\n");
            col = 0;
            if (c == '.' || (c == 'F' && n - i >= 5 &&
                             memcmp(p + i, "From ", 5) == 0)) {
                struct strbuf t = STRBUF_INIT;
                qp_byte(&t, c);
                strbuf_add(out, t.s, t.len);
                strbuf_fini(&t);
                col = 3;
                continue;
            }
        }
        strbuf_add(out, tok, tl);
        col += tl;
    }
    strbuf_adds(out, "\r\n");
}

void
mime_add_qp(struct strbuf *out, const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t len = strlen(text);
    while (len > 0) {
        const unsigned char *nl = memchr(p, '\n', len);
        size_t n = nl ? (size_t)(nl - p) : len;
        size_t ln = n;
        if (ln > 0 && p[ln - 1] == '\r')
            ln--;
        qp_line(out, p, ln);
        p += n + (nl ? 1 : 0);
        len -= n + (nl ? 1 : 0);
    }
}

char *
mime_build_message(const struct mime_mail *m)
{
    struct strbuf b = STRBUF_INIT;
    char date[64];

    alert_format_time(m->date_wall_s, date, sizeof(date));
    mime_add_header(&b, "Date", date);
    mime_add_header(&b, "From", m->from);
    mime_add_address_header(&b, "To", m->to, m->nto);
    mime_add_header(&b, "Subject", m->subject);
    mime_add_header(&b, "Message-ID", m->message_id);
    strbuf_adds(&b, "MIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=UTF-8\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n"
                "Auto-Submitted: auto-generated\r\n");
    if (m->mailer != NULL)
        mime_add_header(&b, "X-Mailer", m->mailer);
    strbuf_adds(&b, "\r\n");
    char *body = alert_clean_text(m->body);
    mime_add_qp(&b, body);
    free(body);
    return strbuf_take(&b);
}
