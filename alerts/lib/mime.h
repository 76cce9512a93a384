/*
 * mime.h — an Internet message (RFC 5322 + MIME) for mail.alert, built as
 * a pure function of its parts so every rule is unit tested.
 *
 * What a person's mail client needs, and what relays require:
 * - header values are one line: CR, LF and other controls become spaces
 *   before anything else, so a summary cannot add a header (injection);
 * - a value that is not plain ASCII (or has a word too long to fold) is
 *   sent as RFC 2047 encoded words "=?UTF-8?B?...?=", each within 75
 *   characters, each holding whole UTF-8 characters only (a client
 *   decodes every word on its own, so a split character shows as junk);
 * - header lines are folded at 78 characters (RFC 5322 2.1.1), continuation
 *   lines start with a space;
 * - the body is UTF-8 text sent quoted-printable: lines of at most 76
 *   characters, 7-bit clean, a "." or "From " at a line start escaped;
 * - every line ends in CRLF.
 */
#ifndef MOND_ALERT_MIME_H
#define MOND_ALERT_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define MIME_LINE_SOFT 78       /* RFC 5322: SHOULD */
#define MIME_LINE_HARD 998      /* RFC 5322: MUST */
#define MIME_ADDR_MAX 254       /* RFC 5321 path limit */

/* Append "Name: value\r\n", value cleaned, folded, encoded when needed. */
void mime_add_header(struct strbuf *out, const char *name, const char *value);

/* Append "Name: a, b, c\r\n" folded after commas.  Addresses must have
 * passed mime_address_ok(). */
void mime_add_address_header(struct strbuf *out, const char *name,
                             const char *const *addrs, size_t n);

/* Append text (LF or CRLF line ends) as quoted-printable with CRLF. */
void mime_add_qp(struct strbuf *out, const char *text);

/* Append base64 of data (no line breaks). */
void mime_add_base64(struct strbuf *out, const void *data, size_t len);

/* A bare addr-spec we accept on the command line: local@domain, no
 * spaces, controls, quotes or angle brackets, at most MIME_ADDR_MAX. */
bool mime_address_ok(const char *addr);

/* "<YYYYMMDDhhmmss.PID.RANDOMHEX@domain>".  Caller frees. */
char *mime_message_id(int64_t wall_s, long pid, uint64_t rnd,
                      const char *domain);

struct mime_mail {
    const char *from;               /* addr-spec */
    const char *const *to;          /* addr-specs */
    size_t nto;
    const char *subject;            /* UTF-8, any bytes (cleaned here) */
    const char *body;               /* UTF-8 text, LF line ends */
    int64_t date_wall_s;
    const char *message_id;         /* from mime_message_id() */
    const char *mailer;             /* X-Mailer, or NULL */
};

/* The whole message, headers and body, CRLF line ends.  Caller frees. */
char *mime_build_message(const struct mime_mail *m);

#endif
