/*
 * web_page.c — the status page a person reads, served from the binary:
 * HTML rendered here (so the page is complete without script), a style
 * sheet (light and dark by prefers-color-scheme, narrow screens) and a
 * small script that refreshes the page from the JSON API without a full
 * reload and posts the actions.  Every string from config or monitors
 * goes through web_buf_html(): a summary with <script> is shown as text.
 * Pure: times are rendered as UTC from the values given.
 */
#include "web.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xalloc.h"

#define CHART_W 600
#define CHART_H 120
#define BAR_W 600
#define BAR_H 18

static void
put_time(struct web_buf *b, int64_t ms)
{
    char buf[40];
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (ms <= 0) {
        web_buf_puts(b, "<span class=\"never\">never</span>");
        return;
    }
    if (gmtime_r(&t, &tm) == NULL)
        return;
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    web_buf_printf(b, "<time data-ms=\"%lld\">%s</time>", (long long)ms, buf);
}

static void
put_head(struct web_buf *b, const char *title, const char *page)
{
    web_buf_puts(b,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,"
        "initial-scale=1\"><title>");
    web_buf_html(b, title);
    web_buf_puts(b, "</title><link rel=\"stylesheet\" href=\"/static/mond.css\">"
                 "</head>\n<body data-page=\"");
    web_buf_puts(b, page);
    web_buf_puts(b, "\"><header><a class=\"home\" href=\"/\">mond</a> "
                 "<span id=\"counts\"></span> <span id=\"updated\" "
                 "aria-live=\"polite\"></span></header>\n<main id=\"main\">");
}

static void
put_foot(struct web_buf *b)
{
    web_buf_puts(b, "</main>\n<script src=\"/static/mond.js\"></script>"
                 "</body></html>\n");
}

static void
put_badge(struct web_buf *b, enum web_state s)
{
    web_buf_printf(b, "<span class=\"badge st-%s\">%s</span>",
                   web_state_word(s), web_state_word(s));
}

static void
put_svc_link(struct web_buf *b, const struct web_svc *s)
{
    web_buf_puts(b, "<a href=\"/service/");
    web_buf_urlseg(b, s->group);
    web_buf_puts(b, "/");
    web_buf_urlseg(b, s->service);
    web_buf_puts(b, "\">");
    web_buf_html(b, s->group);
    web_buf_puts(b, "/");
    web_buf_html(b, s->service);
    web_buf_puts(b, "</a>");
}

char *
web_page_index(const struct web_snapshot *snap)
{
    struct web_buf b;

    web_buf_init(&b);
    put_head(&b, "mond status", "index");
    web_buf_puts(&b, "<table id=\"services\"><thead><tr><th>State</th>"
                 "<th>Service</th><th>Since</th><th>Summary</th>"
                 "<th>Last check</th><th>Next check</th></tr></thead>"
                 "<tbody id=\"rows\">\n");
    for (size_t i = 0; i < snap->n; i++) {
        const struct web_svc *s = &snap->svcs[i];
        web_buf_printf(&b, "<tr class=\"row st-%s\"><td data-label=\"State\">",
                       web_state_word(s->state));
        put_badge(&b, s->state);
        web_buf_puts(&b, "</td><td data-label=\"Service\" class=\"name\">");
        put_svc_link(&b, s);
        web_buf_puts(&b, "</td><td data-label=\"Since\">");
        put_time(&b, s->since_wall_ms);
        web_buf_puts(&b, "</td><td data-label=\"Summary\" class=\"summary\">");
        web_buf_html(&b, s->st->last_summary);
        if (s->st->acked && s->st->ack_comment != NULL) {
            web_buf_puts(&b, "<div class=\"ack\">ack: ");
            web_buf_html(&b, s->st->ack_comment);
            web_buf_puts(&b, "</div>");
        }
        web_buf_puts(&b, "</td><td data-label=\"Last check\">");
        put_time(&b, s->st->last_check_wall_ms);
        web_buf_puts(&b, "</td><td data-label=\"Next check\">");
        if (s->running)
            web_buf_puts(&b, "running");
        else
            put_time(&b, s->next_check_wall_ms);
        web_buf_puts(&b, "</td></tr>\n");
    }
    web_buf_puts(&b, "</tbody></table>");
    if (snap->n == 0)
        web_buf_puts(&b, "<p>No services are configured.</p>");
    put_foot(&b);
    return web_buf_take(&b);
}

static void
put_uptime(struct web_buf *b, const char *label, double v)
{
    web_buf_puts(b, "<div class=\"uptime\"><span class=\"lbl\">");
    web_buf_puts(b, label);
    web_buf_puts(b, "</span> ");
    if (v < 0)
        web_buf_puts(b, "<span class=\"val\">n/a</span>");
    else
        web_buf_printf(b, "<span class=\"val\">%.3f%%</span>", v * 100.0);
    web_buf_puts(b, "</div>");
}

/* One rect per recent check, oldest left; colour and a title in words. */
static void
put_status_bar(struct web_buf *b, const struct web_svc_hist *hs)
{
    double w;

    if (hs == NULL || hs->n == 0) {
        web_buf_puts(b, "<p>No checks yet.</p>");
        return;
    }
    w = (double)BAR_W / WEB_HIST_RECENT;
    web_buf_printf(b, "<svg class=\"bar\" viewBox=\"0 0 %d %d\" role=\"img\" "
                   "aria-label=\"recent checks\">", BAR_W, BAR_H);
    for (size_t i = 0; i < hs->n; i++) {
        struct web_check c = web_hist_check(hs, i);
        char tb[40];
        time_t t = (time_t)(c.wall_ms / 1000);
        struct tm tm;
        if (gmtime_r(&t, &tm) != NULL)
            strftime(tb, sizeof tb, "%Y-%m-%d %H:%M:%S UTC", &tm);
        else
            tb[0] = '\0';
        web_buf_printf(b, "<rect class=\"%s\" x=\"%.1f\" y=\"0\" "
                       "width=\"%.1f\" height=\"%d\"><title>%s: %s, exit %d, "
                       "%lld ms</title></rect>",
                       c.ok ? "ok" : "fail", (double)i * w, w - 1, BAR_H, tb,
                       c.ok ? "ok" : "failed", c.exit_status,
                       (long long)c.duration_ms);
    }
    web_buf_puts(b, "</svg>");
}

/* Response time from perfdata, as an inline SVG polyline. */
static void
put_chart(struct web_buf *b, const struct web_svc_hist *hs)
{
    double max = 0;
    size_t have = 0;

    if (hs != NULL)
        for (size_t i = 0; i < hs->n; i++) {
            struct web_check c = web_hist_check(hs, i);
            if (!isnan(c.resp_ms)) {
                have++;
                if (c.resp_ms > max)
                    max = c.resp_ms;
            }
        }
    if (have == 0) {
        web_buf_puts(b, "<p>No response times in the monitor's "
                     "performance data.</p>");
        return;
    }
    if (max <= 0)
        max = 1;
    web_buf_printf(b, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
                   "aria-label=\"response time, max %.1f ms\">"
                   "<text x=\"4\" y=\"12\">%.1f ms</text>"
                   "<line x1=\"0\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
                   "<polyline points=\"", CHART_W, CHART_H, max, max,
                   CHART_H - 1, CHART_W, CHART_H - 1);
    for (size_t i = 0; i < hs->n; i++) {
        struct web_check c = web_hist_check(hs, i);
        double x, y;
        if (isnan(c.resp_ms))
            continue;
        x = hs->n > 1 ? (double)i * CHART_W / (double)(hs->n - 1) : 0;
        y = (CHART_H - 4) - c.resp_ms / max * (CHART_H - 20);
        web_buf_printf(b, "%.1f,%.1f ", x, y);
    }
    web_buf_puts(b, "\"/></svg>");
}

char *
web_page_service(const struct web_svc *s, int64_t now_wall_ms,
                 const struct web_uptimes *u, const char *const *history,
                 size_t nhistory)
{
    struct web_buf b;
    char *title;
    const struct svc_state *st = s->st;
    size_t nfail = 0;

    (void)now_wall_ms;
    web_buf_init(&b);
    title = xasprintf("%s/%s", s->group, s->service);
    put_head(&b, title, "service");
    free(title);
    web_buf_puts(&b, "<article id=\"svc\" data-group=\"");
    web_buf_html(&b, s->group);
    web_buf_puts(&b, "\" data-service=\"");
    web_buf_html(&b, s->service);
    web_buf_puts(&b, "\"><h1>");
    web_buf_html(&b, s->group);
    web_buf_puts(&b, "/");
    web_buf_html(&b, s->service);
    web_buf_puts(&b, " <span id=\"state\">");
    put_badge(&b, s->state);
    web_buf_puts(&b, "</span></h1>");
    if (s->description != NULL) {
        web_buf_puts(&b, "<p class=\"desc\">");
        web_buf_html(&b, s->description);
        web_buf_puts(&b, "</p>");
    }
    web_buf_puts(&b, "<dl class=\"facts\"><dt>Hosts</dt><dd>");
    for (size_t i = 0; i < s->nhosts; i++) {
        if (i > 0)
            web_buf_puts(&b, " ");
        web_buf_html(&b, s->hosts[i]);
    }
    if (s->nhosts == 0)
        web_buf_puts(&b, "(none)");
    web_buf_puts(&b, "</dd><dt>Since</dt><dd id=\"since\">");
    put_time(&b, s->since_wall_ms);
    web_buf_puts(&b, "</dd><dt>Summary</dt><dd id=\"summary\" class=\"summary\">");
    web_buf_html(&b, st->last_summary);
    web_buf_puts(&b, "</dd><dt>Last check</dt><dd id=\"last\">");
    put_time(&b, st->last_check_wall_ms);
    web_buf_puts(&b, "</dd><dt>Next check</dt><dd id=\"next\">");
    if (s->running)
        web_buf_puts(&b, "running");
    else
        put_time(&b, s->next_check_wall_ms);
    web_buf_puts(&b, "</dd><dt>Acknowledged</dt><dd id=\"ack\">");
    if (st->acked) {
        web_buf_puts(&b, "yes: ");
        web_buf_html(&b, st->ack_comment);
    } else {
        web_buf_puts(&b, "no");
    }
    web_buf_printf(&b, "</dd><dt>Checks</dt><dd>%llu ok, %llu failed, "
                   "%llu alerts</dd></dl>",
                   (unsigned long long)st->success_count,
                   (unsigned long long)st->failure_count,
                   (unsigned long long)st->alert_count);

    web_buf_puts(&b, "<section id=\"sec-uptime\"><h2>Uptime</h2>"
                 "<div class=\"uptimes\">");
    put_uptime(&b, "24 h", u != NULL ? u->day : -1);
    put_uptime(&b, "7 d", u != NULL ? u->week : -1);
    put_uptime(&b, "30 d", u != NULL ? u->month : -1);
    web_buf_puts(&b, "</div></section><section id=\"sec-bar\">"
                 "<h2>Recent checks</h2>");
    put_status_bar(&b, s->hist);
    web_buf_puts(&b, "</section><section id=\"sec-chart\">"
                 "<h2>Response time</h2>");
    put_chart(&b, s->hist);
    web_buf_puts(&b, "</section><section><h2>Last output</h2>"
                 "<pre id=\"output\">");
    web_buf_html(&b, st->last_output);
    web_buf_puts(&b, "</pre></section><section id=\"sec-hist\">"
                 "<h2>Recent alerts</h2><ul "
                 "class=\"hist\">");
    for (size_t i = nhistory; i > 0; i--) {
        web_buf_puts(&b, "<li>");
        web_buf_html(&b, history[i - 1]);
        web_buf_puts(&b, "</li>");
    }
    if (nhistory == 0)
        web_buf_puts(&b, "<li>none</li>");
    web_buf_puts(&b, "</ul><h2>Recent failures</h2><ul class=\"hist\">");
    for (size_t i = s->hist != NULL ? s->hist->n : 0; i > 0; i--) {
        struct web_check c = web_hist_check(s->hist, i - 1);
        if (c.ok)
            continue;
        web_buf_puts(&b, "<li>");
        put_time(&b, c.wall_ms);
        web_buf_printf(&b, " exit %d</li>", c.exit_status);
        nfail++;
    }
    if (nfail == 0)
        web_buf_puts(&b, "<li>none in the recent checks</li>");
    web_buf_puts(&b, "</ul></section>"
        "<section><h2>Actions</h2><form id=\"actions\" autocomplete=\"on\">"
        "<label>User <input name=\"user\" autocomplete=\"username\"></label> "
        "<label>Password <input name=\"password\" type=\"password\" "
        "autocomplete=\"current-password\"></label><br>"
        "<label>Comment <input name=\"comment\" size=\"40\"></label> "
        "<button type=\"button\" data-action=\"ack\">Acknowledge</button> "
        "<button type=\"button\" data-action=\"disable\">Disable</button> "
        "<button type=\"button\" data-action=\"enable\">Enable</button> "
        "<button type=\"button\" data-action=\"test\">Test now</button>"
        "<p id=\"result\" role=\"status\"></p></form></section></article>");
    put_foot(&b);
    return web_buf_take(&b);
}

const char *
web_page_css(void)
{
    return
":root{--bg:#fff;--fg:#1b1b1b;--mut:#666;--line:#ddd;--ok:#1a7f37;"
"--fail:#c62828;--ack:#9a6700;--dis:#6e7781;--unt:#5a5aa0;--card:#f6f8fa}\n"
"@media (prefers-color-scheme:dark){:root{--bg:#111418;--fg:#e6e6e6;"
"--mut:#9aa4ae;--line:#30363d;--ok:#3fb950;--fail:#ff6b6b;--ack:#d29922;"
"--dis:#8b949e;--unt:#a5a5ff;--card:#1c2128}}\n"
"body{margin:0;font:15px/1.4 system-ui,sans-serif;background:var(--bg);"
"color:var(--fg)}\n"
"header{padding:.6em 1em;border-bottom:1px solid var(--line);display:flex;"
"gap:1em;align-items:baseline;flex-wrap:wrap}\n"
"header .home{font-weight:bold;font-size:1.2em;color:var(--fg);"
"text-decoration:none}\n#updated{color:var(--mut);font-size:.85em}\n"
"main{padding:1em}\na{color:inherit}\n"
"table{border-collapse:collapse;width:100%}\n"
"th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid "
"var(--line);vertical-align:top}\n"
"th{color:var(--mut);font-weight:600}\n"
".summary{word-break:break-word}\n.never{color:var(--mut)}\n"
".badge{display:inline-block;padding:.05em .5em;border-radius:.8em;"
"font-size:.85em;font-weight:700;border:2px solid currentColor;"
"text-transform:uppercase;letter-spacing:.03em}\n"
".badge.st-ok{color:var(--ok)}.badge.st-failing{color:#fff;"
"background:var(--fail);border-color:var(--fail)}"
".badge.st-acknowledged{color:var(--ack)}.badge.st-disabled{"
"color:var(--dis)}.badge.st-untested{color:var(--unt)}\n"
"tr.st-failing{background:color-mix(in srgb,var(--fail) 10%,transparent)}\n"
"tr.st-failing td:first-child{border-left:4px solid var(--fail)}\n"
".ack{color:var(--ack);font-size:.9em}\n"
"dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}\n"
"dt{color:var(--mut)}dd{margin:0}\n"
"pre{background:var(--card);padding:.6em;overflow:auto;white-space:pre-wrap;"
"word-break:break-word}\n"
".uptimes{display:flex;gap:1.5em;flex-wrap:wrap}.uptime .val{font-size:1.4em;"
"font-weight:700}.uptime .lbl{color:var(--mut)}\n"
"svg.bar,svg.chart{width:100%;max-width:600px;height:auto;display:block}\n"
"svg.bar rect.ok{fill:var(--ok)}svg.bar rect.fail{fill:var(--fail)}\n"
"svg.chart polyline{fill:none;stroke:var(--unt);stroke-width:2}"
"svg.chart line{stroke:var(--line)}svg.chart text{fill:var(--mut);"
"font-size:11px}\n"
"ul.hist{padding-left:1.2em;font-family:ui-monospace,monospace;"
"font-size:.85em}\n"
"form input{margin:.2em 0}button{margin:.2em .2em .2em 0}\n"
"#result.err{color:var(--fail)}\n"
"@media (max-width:700px){table#services thead{display:none}"
"table#services tr{display:block;border-bottom:1px solid var(--line);"
"padding:.4em 0}table#services td{display:block;border:0;padding:.1em .5em}"
"table#services td::before{content:attr(data-label) \": \";"
"color:var(--mut)}tr.st-failing td:first-child{border-left:0}"
"tr.st-failing{border-left:4px solid var(--fail)}}\n";
}

const char *
web_page_js(void)
{
    return
"'use strict';\n"
"(function(){\n"
"var q=new URLSearchParams(location.search);\n"
"var every=Math.max(1,parseFloat(q.get('refresh')||'10'))*1000;\n"
"function el(t,c,x){var e=document.createElement(t);if(c)e.className=c;"
"if(x!=null)e.textContent=x;return e;}\n"
"function ago(ms){var d=(Date.now()-ms)/1000,a=Math.abs(d),s=a<90?"
"Math.round(a)+' s':a<5400?Math.round(a/60)+' min':a<129600?"
"Math.round(a/3600)+' h':Math.round(a/86400)+' d';return d>=0?s+' ago':"
"'in '+s;}\n"
"function fmt(ms){if(!ms)return el('span','never','never');"
"var d=new Date(ms),e=el('time',null,d.toLocaleTimeString()+' ('+ago(ms)+')');"
"e.dataset.ms=ms;e.title=d.toLocaleString();return e;}\n"
"function next(ms){return ms&&ms<=Date.now()?el('span',null,'due now'):"
"fmt(ms);}\n"
"function badge(s){return el('span','badge st-'+s,s);}\n"
"function seg(s){return encodeURIComponent(s);}\n"
"function stamp(ok){var u=document.getElementById('updated');"
"u.textContent=ok?'updated '+new Date().toLocaleTimeString():"
"'cannot reach mond, retrying';}\n"
"function counts(c){var e=document.getElementById('counts');"
"if(!e||!c)return;var p=[];for(var k in c)if(c[k])p.push(c[k]+' '+k);"
"e.textContent=p.join(', ');}\n"
"function row(s){var tr=el('tr','row st-'+s.state),td;\n"
"td=el('td');td.dataset.label='State';td.appendChild(badge(s.state));"
"tr.appendChild(td);\n"
"td=el('td','name');td.dataset.label='Service';var a=el('a',null,"
"s.group+'/'+s.service);a.href='/service/'+seg(s.group)+'/'+seg(s.service);"
"td.appendChild(a);tr.appendChild(td);\n"
"td=el('td');td.dataset.label='Since';td.appendChild(fmt(s.since));"
"tr.appendChild(td);\n"
"td=el('td','summary',s.summary||'');td.dataset.label='Summary';"
"if(s.acked&&s.ack_comment)td.appendChild(el('div','ack','ack: '+"
"s.ack_comment));tr.appendChild(td);\n"
"td=el('td');td.dataset.label='Last check';td.appendChild(fmt(s.last_check));"
"tr.appendChild(td);\n"
"td=el('td');td.dataset.label='Next check';if(s.running)td.textContent="
"'running';else td.appendChild(next(s.next_check));tr.appendChild(td);\n"
"return tr;}\n"
"function index(){fetch('/api/v1/status',{cache:'no-store'}).then("
"function(r){if(!r.ok)throw r;return r.json();}).then(function(d){\n"
"var tb=document.getElementById('rows'),f=document.createDocumentFragment();"
"d.services.forEach(function(s){f.appendChild(row(s));});"
"tb.replaceChildren(f);counts(d.counts);stamp(true);"
"}).catch(function(){stamp(false);});}\n"
"var art=document.getElementById('svc');\n"
"function api(){return '/api/v1/services/'+seg(art.dataset.group)+'/'+"
"seg(art.dataset.service);}\n"
"function set(id,n){var e=document.getElementById(id);if(e)"
"e.replaceChildren(n);}\n"
"function service(){fetch(api(),{cache:'no-store'}).then(function(r){"
"if(!r.ok)throw r;return r.json();}).then(function(s){\n"
"set('state',badge(s.state));set('since',fmt(s.since));"
"set('summary',document.createTextNode(s.summary||''));"
"set('last',fmt(s.last_check));set('next',s.running?"
"document.createTextNode('running'):next(s.next_check));"
"set('ack',document.createTextNode(s.acked?'yes: '+(s.ack_comment||''):"
"'no'));set('output',document.createTextNode(s.output||''));"
"stamp(true);}).catch(function(){stamp(false);});\n"
/* The drawn parts (uptime, status bar, chart, history) come from the
 * page itself, re-fetched and swapped section by section: the form
 * keeps what the user typed. */
"fetch(location.pathname,{cache:'no-store'}).then(function(r){"
"if(!r.ok)throw r;return r.text();}).then(function(t){"
"var d=new DOMParser().parseFromString(t,'text/html');"
"['sec-uptime','sec-bar','sec-chart','sec-hist'].forEach(function(id){"
"var n=d.getElementById(id),o=document.getElementById(id);"
"if(n&&o)o.replaceWith(document.importNode(n,true));});}).catch("
"function(){});}\n"
"function act(ev){var b=ev.target.closest('button[data-action]');"
"if(!b)return;var f=document.getElementById('actions'),"
"res=document.getElementById('result'),h={'Content-Type':"
"'application/json','X-Requested-With':'mond'};\n"
"if(f.user.value)h.Authorization='Basic '+btoa(unescape("
"encodeURIComponent(f.user.value+':'+f.password.value)));\n"
"fetch(api()+'/'+b.dataset.action,{method:'POST',headers:h,"
"credentials:'same-origin',body:JSON.stringify({comment:f.comment.value})"
"}).then(function(r){return r.json().then(function(j){res.className="
"r.ok?'':'err';res.textContent=r.ok?(j.result||'done'):"
"('refused: '+(j.error||r.status));if(r.ok)service();});}).catch("
"function(){res.className='err';res.textContent='cannot reach mond';});}\n"
"if(art){document.getElementById('actions').addEventListener('click',act);"
"service();setInterval(service,every);}\n"
"else if(document.getElementById('rows')){index();setInterval(index,every);}\n"
"})();\n";
}
