/*
 * webhook.c — webhook.alert: POST an alert as JSON (libcurl + jansson).
 *
 *   webhook.alert [options] URL
 *
 * Formats (--format):
 *   generic  {"group","service","hosts":[...],"type","summary","detail",
 *             "time","retval","description","subject"}
 *   slack    {"text": "*SUBJECT*\n```detail```"}  (Slack-compatible
 *             incoming webhooks: Slack, Mattermost, Rocket.Chat)
 *   discord  {"content": SUBJECT, "embeds": [{"title","description",
 *             "color","fields","timestamp"}]}
 *   ntfy     {"topic","title","message","priority","tags"}, posted to the
 *             server root: the URL's last path segment is the topic
 *             unless --topic is given
 * Exit 0 on a 2xx reply, 1 on any other reply or a network failure (the
 * scheduler retries), 2 on bad usage.
 */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "usage.h"
#include "alertmsg.h"
#include "strbuf.h"

#define PROG "webhook.alert"
#define EXIT_DELIVERED 0
#define EXIT_RETRY 1
#define HEADERS_MAX 32
#define REPLY_KEEP 512          /* bytes of a reply body kept for errors */
#define DISCORD_CONTENT_MAX 2000
#define DISCORD_DESC_MAX 4096
#define TEXT_MAX 3500           /* Slack/ntfy text kept short for phones */

extern char **environ;

enum format { FMT_GENERIC, FMT_SLACK, FMT_DISCORD, FMT_NTFY };

static void
usage(FILE *f)
{
    fprintf(f,
"usage: " PROG " [options] URL\n"
"POST a mon/mond alert as JSON.  Reads the summary line and the detail\n"
"from stdin and mon's alert arguments and MON_* environment.\n"
"\n"
"options:\n"
"  --format NAME       generic (default) | slack | discord | ntfy\n"
"  -H, --header 'Name: value'   extra request header (repeatable), e.g.\n"
"                      'Authorization: Bearer ...'\n"
"  --header-file FILE  extra headers, one per line (keeps secrets out of\n"
"                      the command line)\n"
"  --topic NAME        ntfy topic (default: the URL's last path segment)\n"
"  --timeout SECONDS   whole-request deadline (default 30)\n"
"  --cacert FILE       CA certificates to verify the server with\n"
"  --insecure          do not verify the server's certificate\n"
"  --help              this text\n"
"mon's alert arguments: -s SERVICE -g GROUP -h HOSTS -t TIME -l SECONDS\n"
"  -u (upalert) -T (trap) -O (trap timeout) -S SUMMARY\n"
"\n"
"exit status:\n"
"  0  the server answered 2xx\n"
"  1  any other answer, or no answer (network, TLS, timeout): retry later\n"
"  2  bad usage\n");
}

/* Cut s to at most max bytes at a UTF-8 character boundary. */
static char *
cut_utf8(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return strbuf_xstrdup(s);
    size_t k = max > 3 ? max - 3 : 0;
    while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
        k--;
    struct strbuf b = STRBUF_INIT;
    strbuf_add(&b, s, k);
    strbuf_adds(&b, "...");
    return strbuf_take(&b);
}

static json_t *
hosts_array(const char *hosts)
{
    json_t *a = json_array();
    const char *p = hosts;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *q = p;
        while (*q && *q != ' ')
            q++;
        if (q > p)
            json_array_append_new(a, json_stringn(p, (size_t)(q - p)));
        p = q;
    }
    return a;
}

static char *
iso_time(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[32] = "";
    if (gmtime_r(&tt, &tm) != NULL)
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return strbuf_xstrdup(buf);
}

static json_t *
build_json(enum format fmt, const struct alert_info *ai, int64_t now,
           const char *topic)
{
    int64_t t = ai->time_wall_s > 0 ? ai->time_wall_s : now;
    char *subject = alert_subject(ai);
    char *detail = alert_clean_text(ai->detail);
    char *summary = alert_clean_line(ai->summary);
    char *iso = iso_time(t);
    /* jansson refuses invalid UTF-8: every string goes in cleaned. */
    char *group = alert_clean_line(ai->group);
    char *service = alert_clean_line(ai->service);
    char *hosts = alert_clean_line(ai->hosts);
    char *descr = ai->description ? alert_clean_line(ai->description) : NULL;
    char *opstatus = ai->opstatus ? alert_clean_line(ai->opstatus) : NULL;
    json_t *j = NULL;
    bool up = ai->type == ALERT_UP;

    switch (fmt) {
    case FMT_GENERIC:
        j = json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:I, s:s, s:s}",
                      "group", group, "service", service,
                      "hosts", hosts_array(hosts),
                      "type", alert_type_name(ai->type),
                      "summary", summary, "detail", detail,
                      "time", (json_int_t)t, "time_iso", iso,
                      "subject", subject);
        json_object_set_new(j, "retval", ai->has_retval
                            ? json_integer(ai->retval) : json_null());
        json_object_set_new(j, "description", descr
                            ? json_string(descr) : json_null());
        json_object_set_new(j, "opstatus", opstatus
                            ? json_string(opstatus) : json_null());
        break;
    case FMT_SLACK: {
        struct strbuf b = STRBUF_INIT;
        strbuf_addf(&b, "*%s*", subject);
        if (ai->hosts[0])
            strbuf_addf(&b, "\nhosts: %s", hosts);
        if (detail[0])
            strbuf_addf(&b, "\n```%s```", detail);
        char *raw = strbuf_take(&b);
        char *text = cut_utf8(raw, TEXT_MAX);
        j = json_pack("{s:s}", "text", text);
        free(raw);
        free(text);
        break;
    }
    case FMT_DISCORD: {
        char *content = cut_utf8(subject, DISCORD_CONTENT_MAX);
        char *title = cut_utf8(subject, 256);
        char *desc = cut_utf8(detail[0] ? detail : summary, DISCORD_DESC_MAX);
        json_t *fields = json_array();
        json_array_append_new(fields, json_pack(
            "{s:s, s:s, s:b}", "name", "hosts",
            "value", hosts[0] ? hosts : "-", "inline", 1));
        json_array_append_new(fields, json_pack(
            "{s:s, s:s, s:b}", "name", "type",
            "value", alert_type_name(ai->type), "inline", 1));
        j = json_pack("{s:s, s:[{s:s, s:s, s:i, s:o, s:s}]}",
                      "content", content, "embeds",
                      "title", title, "description", desc,
                      "color", up ? 0x2ecc71 : 0xe74c3c,
                      "fields", fields, "timestamp", iso);
        free(content);
        free(title);
        free(desc);
        break;
    }
    case FMT_NTFY: {
        struct strbuf b = STRBUF_INIT;
        strbuf_adds(&b, summary[0] ? summary : subject);
        if (ai->hosts[0])
            strbuf_addf(&b, "\nhosts: %s", hosts);
        if (detail[0])
            strbuf_addf(&b, "\n%s", detail);
        char *raw = strbuf_take(&b);
        char *msg = cut_utf8(raw, TEXT_MAX);
        j = json_pack("{s:s, s:s, s:s, s:i, s:[s]}",
                      "topic", topic, "title", subject, "message", msg,
                      "priority", up ? 3 : 4,
                      "tags", up ? "white_check_mark" : "rotating_light");
        free(raw);
        free(msg);
        break;
    }
    }
    free(subject);
    free(detail);
    free(summary);
    free(iso);
    free(group);
    free(service);
    free(hosts);
    free(descr);
    free(opstatus);
    return j;
}

struct reply {
    char keep[REPLY_KEEP + 1];
    size_t len;
};

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userp)
{
    struct reply *r = userp;
    size_t n = size * nmemb;
    size_t room = REPLY_KEEP - r->len;
    size_t k = n < room ? n : room;
    memcpy(r->keep + r->len, ptr, k);
    r->len += k;
    r->keep[r->len] = '\0';
    return n;                   /* the rest is read and dropped */
}

static bool
header_ok(const char *h)
{
    const char *colon = strchr(h, ':');
    if (colon == NULL || colon == h)
        return false;
    for (const char *p = h; *p; p++)
        if (*p == '\r' || *p == '\n')
            return false;
    for (const char *p = h; p < colon; p++)
        if (*p <= ' ' || *p >= 0x7f)
            return false;
    return true;
}

int
main(int argc, char **argv)
{
    enum { O_FORMAT = 256, O_TOPIC, O_TIMEOUT, O_CACERT, O_INSECURE,
           O_HEADER_FILE, O_HELP };
    static const struct option longopts[] = {
        { "format", required_argument, NULL, O_FORMAT },
        { "header", required_argument, NULL, 'H' },
        { "header-file", required_argument, NULL, O_HEADER_FILE },
        { "topic", required_argument, NULL, O_TOPIC },
        { "timeout", required_argument, NULL, O_TIMEOUT },
        { "cacert", required_argument, NULL, O_CACERT },
        { "insecure", no_argument, NULL, O_INSECURE },
        { "help", no_argument, NULL, O_HELP },
        { NULL, 0, NULL, 0 },
    };
    struct alert_info ai;
    enum format fmt = FMT_GENERIC;
    const char *topic = NULL, *cacert = NULL;
    bool insecure = false;
    long timeout_s = 30;
    struct curl_slist *headers = NULL;
    size_t nheaders = 0;
    char err[256];
    int c;

    alert_info_init(&ai);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":" ALERT_MON_SHORTOPTS "H:",
                            longopts, NULL)) != -1) {
        int r = alert_mon_option(&ai, c, optarg, err, sizeof(err));
        if (r < 0)
            alert_usage(PROG, "%s", err);
        if (r > 0)
            continue;
        switch (c) {
        case O_FORMAT:
            if (strcmp(optarg, "generic") == 0)
                fmt = FMT_GENERIC;
            else if (strcmp(optarg, "slack") == 0)
                fmt = FMT_SLACK;
            else if (strcmp(optarg, "discord") == 0)
                fmt = FMT_DISCORD;
            else if (strcmp(optarg, "ntfy") == 0)
                fmt = FMT_NTFY;
            else
                alert_usage(PROG, "--format: expected generic, slack, discord or "
                          "ntfy, got \"%s\"", optarg);
            break;
        case 'H':
            if (!header_ok(optarg))
                alert_usage(PROG, "-H \"%s\": expected 'Name: value'", optarg);
            if (++nheaders > HEADERS_MAX)
                alert_usage(PROG, "more than %d headers", HEADERS_MAX);
            headers = curl_slist_append(headers, optarg);
            break;
        case O_HEADER_FILE: {
            FILE *f = fopen(optarg, "r");
            char line[4096];
            if (f == NULL)
                alert_usage(PROG, "--header-file %s: %s", optarg, strerror(errno));
            while (fgets(line, sizeof(line), f) != NULL) {
                line[strcspn(line, "\r\n")] = '\0';
                if (line[0] == '\0' || line[0] == '#')
                    continue;
                if (!header_ok(line))
                    alert_usage(PROG, "--header-file %s: a line is not "
                              "'Name: value'", optarg);
                if (++nheaders > HEADERS_MAX)
                    alert_usage(PROG, "more than %d headers", HEADERS_MAX);
                headers = curl_slist_append(headers, line);
            }
            fclose(f);
            break;
        }
        case O_TOPIC: topic = optarg; break;
        case O_CACERT: cacert = optarg; break;
        case O_INSECURE: insecure = true; break;
        case O_TIMEOUT: {
            char *end;
            errno = 0;
            timeout_s = strtol(optarg, &end, 10);
            if (errno || *end || timeout_s < 1 || timeout_s > 3600)
                alert_usage(PROG, "--timeout: expected 1..3600 seconds, got \"%s\"",
                          optarg);
            break;
        }
        case O_HELP:
            usage(stdout);
            return 0;
        case ':':
            alert_usage(PROG, "option %s needs a value", argv[optind - 1]);
        default:
            alert_usage(PROG, "unknown option %s", argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        alert_usage(PROG, "expected exactly one URL");
    const char *url = argv[optind];
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        alert_usage(PROG, "URL \"%s\": expected http:// or https://", url);

    /* ntfy: JSON is posted to the server root, the topic goes inside. */
    char *post_url = strbuf_xstrdup(url);
    char *topic_owned = NULL;
    if (fmt == FMT_NTFY) {
        char *hostpart = strstr(post_url, "://") + 3;
        char *slash = strrchr(hostpart, '/');
        if (topic == NULL) {
            if (slash == NULL || slash[1] == '\0')
                alert_usage(PROG, "--format ntfy: give --topic or a URL ending in "
                          "/TOPIC");
            topic_owned = strbuf_xstrdup(slash + 1);
            topic = topic_owned;
            slash[1] = '\0';
        }
    }

    if (alert_read_stream(&ai, STDIN_FILENO) != 0) {
        fprintf(stderr, PROG ": reading stdin: %s\n", strerror(errno));
        return EXIT_RETRY;
    }
    alert_info_from_env(&ai, environ);

    json_t *j = build_json(fmt, &ai, (int64_t)time(NULL), topic);
    char *body = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (body == NULL) {
        fprintf(stderr, PROG ": could not build the JSON body\n");
        return EXIT_RETRY;
    }
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        fprintf(stderr, PROG ": libcurl initialisation failed\n");
        return EXIT_RETRY;
    }
    CURL *h = curl_easy_init();
    if (h == NULL) {
        fprintf(stderr, PROG ": libcurl initialisation failed\n");
        return EXIT_RETRY;
    }
    struct reply reply = { .len = 0 };
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, post_url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_s * 1000L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     (timeout_s < 10 ? timeout_s : 10) * 1000L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "mond " PROG " " MOND_VERSION);
    if (cacert != NULL)
        curl_easy_setopt(h, CURLOPT_CAINFO, cacert);
    if (insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }

    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    int status;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK) {
        fprintf(stderr, PROG ": %s: not sent: %s\n", post_url,
                errbuf[0] ? errbuf : curl_easy_strerror(rc));
        status = EXIT_RETRY;
    } else if (code < 200 || code > 299) {
        char *clean = alert_clean_line(reply.keep);
        fprintf(stderr, PROG ": %s: HTTP %ld: %s\n", post_url, code, clean);
        free(clean);
        status = EXIT_RETRY;
    } else {
        status = EXIT_DELIVERED;
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    curl_global_cleanup();
    free(body);
    json_decref(j);
    free(post_url);
    free(topic_owned);
    alert_info_fini(&ai);
    return status;
}
