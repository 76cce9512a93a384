/*
 * web_metrics.c — /metrics in the Prometheus text exposition format
 * (version 0.0.4): one HELP and TYPE line per family, then its samples;
 * label values escaped (\\ \" \n); timestamps in seconds.  Pure.
 *
 * Per service (labels group, service): up, state, last check time, last
 * duration, failure/success/alert counters, acknowledged, disabled, and
 * every perfdata item of the last check as mond_perfdata{group, service,
 * host, label, unit}.  Scheduler health: the check lateness histogram,
 * children running and queued, spool depth, config reload status.
 */
#include "web.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void
family(struct web_buf *b, const char *name, const char *type,
       const char *help)
{
    web_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
svc_labels(struct web_buf *b, const struct web_svc *s)
{
    web_buf_puts(b, "group=\"");
    web_buf_label(b, s->group);
    web_buf_puts(b, "\",service=\"");
    web_buf_label(b, s->service);
    web_buf_puts(b, "\"");
}

/* Prometheus floats: NaN, +Inf, -Inf spelled its way. */
static void
put_float(struct web_buf *b, double v)
{
    if (isnan(v))
        web_buf_puts(b, "NaN");
    else if (isinf(v))
        web_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
    else
        web_buf_printf(b, "%.15g", v);
}

typedef bool (*svc_value_fn)(const struct web_svc *s, double *v);

static void
per_service(struct web_buf *b, const struct web_snapshot *snap,
            const char *name, const char *type, const char *help,
            svc_value_fn fn)
{
    family(b, name, type, help);
    for (size_t i = 0; i < snap->n; i++) {
        double v;
        if (!fn(&snap->svcs[i], &v))
            continue;
        web_buf_printf(b, "%s{", name);
        svc_labels(b, &snap->svcs[i]);
        web_buf_puts(b, "} ");
        put_float(b, v);
        web_buf_puts(b, "\n");
    }
}

static bool
v_up(const struct web_svc *s, double *v)
{
    if (s->st->opstatus == OPSTATUS_UNTESTED)
        return false;
    *v = opstatus_is_up(s->st->opstatus) ? 1 : 0;
    return true;
}

static bool
v_last_check(const struct web_svc *s, double *v)
{
    if (s->st->last_check_wall_ms <= 0)
        return false;
    *v = (double)s->st->last_check_wall_ms / 1000.0;
    return true;
}

static bool
v_duration(const struct web_svc *s, double *v)
{
    if (s->hist == NULL || s->hist->last_duration_ms < 0)
        return false;
    *v = (double)s->hist->last_duration_ms / 1000.0;
    return true;
}

static bool
v_failures(const struct web_svc *s, double *v)
{
    *v = (double)s->st->failure_count;
    return true;
}

static bool
v_successes(const struct web_svc *s, double *v)
{
    *v = (double)s->st->success_count;
    return true;
}

static bool
v_alerts(const struct web_svc *s, double *v)
{
    *v = (double)s->st->alert_count;
    return true;
}

static bool
v_acked(const struct web_svc *s, double *v)
{
    *v = s->st->acked ? 1 : 0;
    return true;
}

static bool
v_disabled(const struct web_svc *s, double *v)
{
    *v = s->state == WEB_STATE_DISABLED ? 1 : 0;
    return true;
}

char *
web_metrics(const struct web_snapshot *snap)
{
    struct web_buf b;
    uint64_t cum[WEB_LATE_BUCKETS], count;
    double sum;
    const struct web_health *h = &snap->health;

    web_buf_init(&b);
    per_service(&b, snap, "mond_service_up", "gauge",
                "1 when the last check succeeded (opstatus counts as up), "
                "0 when it failed; absent until the first check.", v_up);
    family(&b, "mond_service_state", "gauge",
           "1 for the state the status page shows for the service.");
    for (size_t i = 0; i < snap->n; i++) {
        web_buf_puts(&b, "mond_service_state{");
        svc_labels(&b, &snap->svcs[i]);
        web_buf_printf(&b, ",state=\"%s\"} 1\n",
                       web_state_word(snap->svcs[i].state));
    }
    per_service(&b, snap, "mond_service_last_check_timestamp_seconds",
                "gauge", "When the last check finished (unix time).",
                v_last_check);
    per_service(&b, snap, "mond_service_last_duration_seconds", "gauge",
                "How long the last check's monitor ran.", v_duration);
    per_service(&b, snap, "mond_service_failures_total", "counter",
                "Failed checks since mond started.", v_failures);
    per_service(&b, snap, "mond_service_successes_total", "counter",
                "Successful checks since mond started.", v_successes);
    per_service(&b, snap, "mond_service_alerts_total", "counter",
                "Alerts sent since mond started.", v_alerts);
    per_service(&b, snap, "mond_service_acknowledged", "gauge",
                "1 while the failure is acknowledged.", v_acked);
    per_service(&b, snap, "mond_service_disabled", "gauge",
                "1 while the service or its watch is disabled.", v_disabled);

    family(&b, "mond_perfdata", "gauge",
           "Performance data of the last check, as the monitor printed it "
           "(unit in the unit label).");
    for (size_t i = 0; i < snap->n; i++) {
        const struct web_svc *s = &snap->svcs[i];
        if (s->hist == NULL)
            continue;
        for (size_t k = 0; k < s->hist->nperf; k++) {
            const struct web_perf *p = &s->hist->perf[k];
            web_buf_puts(&b, "mond_perfdata{");
            svc_labels(&b, s);
            web_buf_puts(&b, ",host=\"");
            web_buf_label(&b, p->host);
            web_buf_puts(&b, "\",label=\"");
            web_buf_label(&b, p->label);
            web_buf_puts(&b, "\",unit=\"");
            web_buf_label(&b, p->unit);
            web_buf_puts(&b, "\"} ");
            put_float(&b, p->value);
            web_buf_puts(&b, "\n");
        }
    }

    family(&b, "mond_check_lateness_seconds", "histogram",
           "How late checks started against their due time.");
    web_hist_lateness(h->hist, cum, &sum, &count);
    for (size_t k = 0; k < WEB_LATE_BUCKETS; k++) {
        web_buf_puts(&b, "mond_check_lateness_seconds_bucket{le=\"");
        if (k < WEB_LATE_BUCKETS - 1)
            web_buf_printf(&b, "%g", web_late_bounds_s[k]);
        else
            web_buf_puts(&b, "+Inf");
        web_buf_printf(&b, "\"} %llu\n", (unsigned long long)cum[k]);
    }
    web_buf_puts(&b, "mond_check_lateness_seconds_sum ");
    put_float(&b, sum);
    web_buf_printf(&b, "\nmond_check_lateness_seconds_count %llu\n",
                   (unsigned long long)count);

    family(&b, "mond_children_running", "gauge",
           "Monitor and alert processes running now.");
    web_buf_printf(&b, "mond_children_running %zu\n", h->children_running);
    family(&b, "mond_children_queued", "gauge",
           "Jobs waiting for a free slot (maxprocs).");
    web_buf_printf(&b, "mond_children_queued %zu\n", h->children_queued);
    family(&b, "mond_spawn_holds_total", "counter",
           "Times the overload guard held checks back (CPUs saturated).");
    web_buf_printf(&b, "mond_spawn_holds_total %llu\n",
                   (unsigned long long)h->spawn_holds);
    if (h->spool_depth >= 0) {
        family(&b, "mond_spool_depth", "gauge",
               "Alerts in the spool, not yet delivered.");
        web_buf_printf(&b, "mond_spool_depth %ld\n", h->spool_depth);
    }
    family(&b, "mond_services", "gauge", "Services in the configuration.");
    web_buf_printf(&b, "mond_services %zu\n", snap->n);
    family(&b, "mond_config_last_reload_successful", "gauge",
           "1 when the last reload was loaded (or there was none).");
    web_buf_printf(&b, "mond_config_last_reload_successful %d\n",
                   h->reload_ok ? 1 : 0);
    family(&b, "mond_config_reload_failures_total", "counter",
           "Reloads refused because the configuration had errors.");
    web_buf_printf(&b, "mond_config_reload_failures_total %llu\n",
                   (unsigned long long)h->reloads_failed);
    if (h->reload_wall_ms > 0) {
        family(&b, "mond_config_last_reload_timestamp_seconds", "gauge",
               "When the last reload was attempted.");
        web_buf_printf(&b, "mond_config_last_reload_timestamp_seconds %.3f\n",
                       (double)h->reload_wall_ms / 1000.0);
    }
    family(&b, "mond_http_requests_total", "counter",
           "HTTP requests answered.");
    web_buf_printf(&b, "mond_http_requests_total %llu\n",
                   (unsigned long long)h->http_requests);
    family(&b, "mond_http_busy_seconds_total", "counter",
           "Event loop time spent serving HTTP (checks wait meanwhile).");
    web_buf_printf(&b, "mond_http_busy_seconds_total %.6f\n",
                   (double)h->http_busy_ns / 1e9);
    family(&b, "mond_start_time_seconds", "gauge", "When mond started.");
    web_buf_printf(&b, "mond_start_time_seconds %.3f\n",
                   (double)h->start_wall_ms / 1000.0);
    return web_buf_take(&b);
}
