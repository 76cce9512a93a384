/*
 * temp.monitor — temperatures, fans and chip alarms through libsensors.
 *
 * Every chip libsensors detects (filtered by --chip) and each of its
 * temperature and fan features (filtered by --ignore) becomes one item
 * named CHIP:FEATURE ("coretemp-isa-0000:temp2"); labels, which may hold
 * spaces, stay in the detail so the summary remains one word per item.
 *
 *   temperature  at/over crit (or emergency) limit: critical; at/over
 *                the high (max) limit: warning; the chip's own alarm
 *                flags count too, except for a limit the user overrode
 *   fan          FAULT flag: critical, whatever it reads; 0 RPM while a
 *                minimum applies (stopped) or below the minimum (slow):
 *                critical, a failing case fan cooks the machine; a 0 RPM
 *                fan with no minimum anywhere is an unused header, ok
 *   other        voltages, currents...: an item only when the chip raises
 *                an alarm for it (warning)
 *   unreadable   a reading libsensors cannot get, or a temperature
 *                sensor in FAULT: could not check (3)
 *
 * No chip, or no temperature and fan readings at all, exits 3 with a
 * message: an empty machine must not look healthy.
 */
#include "report.h"

#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sensors/error.h>
#include <sensors/sensors.h>

#define TEMP_MAX_PATTERNS 32
#define TEMP_MAX_CHIPS    256
#define TEMP_NAME_MAX     128

static const char *prog = "temp.monitor";

struct opts {
    const char *config;
    double temp_warn, temp_crit, fan_min;   /* NAN: use the chip's */
    const char *chips[TEMP_MAX_PATTERNS];
    int nchips;
    const char *ignore[TEMP_MAX_PATTERNS];
    int nignore;
};

/* ---- libsensors plumbing ---- */

static char parse_err[512];
static const char *cfg_name = "sensors config";  /* for parse errors */

/* libsensors reports config syntax errors through these hooks (default:
 * print to stderr); keep the first so it becomes the exit-3 summary. */
static void
on_parse_error(const char *err, int lineno)
{
    if (parse_err[0] == '\0')
        snprintf(parse_err, sizeof(parse_err), "%s:%d: %s", cfg_name,
                 lineno, err);
}

static void
on_parse_error_wfn(const char *err, const char *file, int lineno)
{
    if (parse_err[0] == '\0')
        snprintf(parse_err, sizeof(parse_err), "%s:%d: %s",
                 file ? file : cfg_name, lineno, err);
}

/* One subfeature's value: 1 read, 0 absent, -1 unreadable (*err set). */
static int
get_sub(const sensors_chip_name *chip, const sensors_feature *f,
        sensors_subfeature_type type, double *v, const char **err,
        const char **subname)
{
    const sensors_subfeature *sf = sensors_get_subfeature(chip, f, type);
    if (sf == NULL || !(sf->flags & SENSORS_MODE_R))
        return 0;
    int rc = sensors_get_value(chip, sf->number, v);
    if (rc < 0) {
        *err = sensors_strerror(rc);
        if (subname)
            *subname = sf->name;
        return -1;
    }
    return 1;
}

/* An alarm flag: true only when present, readable and non-zero. */
static bool
alarm_set(const sensors_chip_name *chip, const sensors_feature *f,
          sensors_subfeature_type type)
{
    double v;
    const char *err;
    return get_sub(chip, f, type, &v, &err, NULL) == 1 && v != 0;
}

static enum mon_status
worse(enum mon_status a, enum mon_status b)
{
    return a > b ? a : b;
}

/* Append ", text" to a reasons buffer. */
static void __attribute__((format(printf, 3, 4)))
reason(char *buf, size_t n, const char *fmt, ...)
{
    size_t l = strlen(buf);
    if (l + 3 >= n)
        return;
    if (l) {
        memcpy(buf + l, ", ", 3);
        l += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + l, n - l, fmt, ap);
    va_end(ap);
}

static bool
ignored(const struct opts *o, const char *chipname, const char *feat,
        const char *label)
{
    char both[2 * TEMP_NAME_MAX + 2];
    snprintf(both, sizeof(both), "%s:%s", chipname, feat);
    for (int i = 0; i < o->nignore; i++)
        if (fnmatch(o->ignore[i], feat, 0) == 0 ||
            (label && fnmatch(o->ignore[i], label, 0) == 0) ||
            fnmatch(o->ignore[i], both, 0) == 0)
            return true;
    return false;
}

/* ---- judging one feature ---- */

static void
check_temp(struct report *r, const sensors_chip_name *chip,
           const sensors_feature *f, const char *item, const char *label,
           const struct opts *o)
{
    double v, max = NAN, crit = NAN, x;
    const char *err = NULL, *sub = NULL;
    int rc = get_sub(chip, f, SENSORS_SUBFEATURE_TEMP_INPUT, &v, &err, &sub);
    if (alarm_set(chip, f, SENSORS_SUBFEATURE_TEMP_FAULT)) {
        report_item(r, item, MON_UNKNOWN, "%s sensor FAULT (open or "
                    "shorted diode)", label);
        return;
    }
    if (rc <= 0) {
        report_item(r, item, MON_UNKNOWN, "%s cannot read %s: %s", label,
                    rc < 0 ? sub : "input", rc < 0 ? err : "no input");
        return;
    }
    const char *ignerr;
    bool user_warn = !isnan(o->temp_warn), user_crit = !isnan(o->temp_crit);
    if (user_warn)
        max = o->temp_warn;
    else if (get_sub(chip, f, SENSORS_SUBFEATURE_TEMP_MAX, &x, &ignerr,
                     NULL) == 1)
        max = x;
    if (user_crit)
        crit = o->temp_crit;
    else if (get_sub(chip, f, SENSORS_SUBFEATURE_TEMP_CRIT, &x, &ignerr,
                     NULL) == 1 ||
             get_sub(chip, f, SENSORS_SUBFEATURE_TEMP_EMERGENCY, &x, &ignerr,
                     NULL) == 1)
        crit = x;

    enum mon_status st = MON_OK;
    char why[256] = "";
    if (!isnan(crit) && v >= crit) {
        st = MON_CRIT;
        reason(why, sizeof(why), "at or over crit");
    } else if (!isnan(max) && v >= max) {
        st = MON_WARN;
        reason(why, sizeof(why), "at or over high");
    }
    /* The chip's own flags; a limit the user replaced is not the chip's
     * to judge any more. */
    if (!user_crit && (alarm_set(chip, f, SENSORS_SUBFEATURE_TEMP_CRIT_ALARM)
                       || alarm_set(chip, f,
                                    SENSORS_SUBFEATURE_TEMP_EMERGENCY_ALARM))) {
        st = MON_CRIT;
        reason(why, sizeof(why), "chip crit alarm");
    }
    if (!user_warn && alarm_set(chip, f, SENSORS_SUBFEATURE_TEMP_MAX_ALARM)) {
        st = worse(st, MON_WARN);
        reason(why, sizeof(why), "chip high alarm");
    }
    if (alarm_set(chip, f, SENSORS_SUBFEATURE_TEMP_MIN_ALARM) ||
        alarm_set(chip, f, SENSORS_SUBFEATURE_TEMP_LCRIT_ALARM)) {
        st = worse(st, MON_WARN);
        reason(why, sizeof(why), "chip low alarm");
    }
    if (!user_warn && !user_crit &&
        alarm_set(chip, f, SENSORS_SUBFEATURE_TEMP_ALARM)) {
        st = worse(st, MON_WARN);
        reason(why, sizeof(why), "chip alarm");
    }

    char lim[128] = "";
    if (!isnan(max))
        reason(lim, sizeof(lim), "high %.1fC%s", max,
               user_warn ? " by --temp-warn" : "");
    if (!isnan(crit))
        reason(lim, sizeof(lim), "crit %.1fC%s", crit,
               user_crit ? " by --temp-crit" : "");
    report_item(r, item, st, "%s %.1fC%s%s (%s)", label, v, why[0] ? " " : "",
                why, lim[0] ? lim : "no limits");
    report_perf(r, item, v, NULL, max, crit, NAN, NAN);
}

static void
check_fan(struct report *r, const sensors_chip_name *chip,
          const sensors_feature *f, const char *item, const char *label,
          const struct opts *o)
{
    double v, min = NAN, x;
    const char *err = NULL, *sub = NULL, *ignerr;
    bool fault = alarm_set(chip, f, SENSORS_SUBFEATURE_FAN_FAULT);
    int rc = get_sub(chip, f, SENSORS_SUBFEATURE_FAN_INPUT, &v, &err, &sub);
    if (rc <= 0) {
        report_item(r, item, fault ? MON_CRIT : MON_UNKNOWN,
                    "%s%s cannot read %s: %s", label, fault ? " FAULT," : "",
                    rc < 0 ? sub : "input", rc < 0 ? err : "no input");
        return;
    }
    bool user_min = !isnan(o->fan_min);
    if (user_min)
        min = o->fan_min;
    else if (get_sub(chip, f, SENSORS_SUBFEATURE_FAN_MIN, &x, &ignerr,
                     NULL) == 1 && x > 0)
        min = x;

    enum mon_status st = MON_OK;
    char why[256] = "";
    if (fault) {
        st = MON_CRIT;
        reason(why, sizeof(why), "FAULT");
    }
    if (v <= 0 && !isnan(min)) {
        st = MON_CRIT;
        reason(why, sizeof(why), "stopped");
    } else if (v <= 0) {
        reason(why, sizeof(why), "not spinning, no minimum set (unused "
               "header?)");
    } else if (!isnan(min) && v < min) {
        st = MON_CRIT;
        reason(why, sizeof(why), "below min");
    }
    if (!user_min && (alarm_set(chip, f, SENSORS_SUBFEATURE_FAN_ALARM) ||
                      alarm_set(chip, f, SENSORS_SUBFEATURE_FAN_MIN_ALARM))) {
        st = worse(st, MON_WARN);
        reason(why, sizeof(why), "chip alarm");
    }
    char lim[64];
    if (isnan(min))
        snprintf(lim, sizeof(lim), "no min");
    else
        snprintf(lim, sizeof(lim), "min %.0f RPM%s", min,
                 user_min ? " by --fan-min" : "");
    report_item(r, item, st, "%s %.0f RPM%s%s (%s)", label, v,
                why[0] ? " " : "", why, lim);
    report_perf(r, item, v, NULL, NAN, NAN, 0, NAN);
}

/* Voltages, currents, power, intrusion: an item only when alarmed. */
static void
check_other(struct report *r, const sensors_chip_name *chip,
            const sensors_feature *f, const char *item, const char *label)
{
    const sensors_subfeature *sf;
    int i = 0;
    while ((sf = sensors_get_all_subfeatures(chip, f, &i)) != NULL) {
        bool is_alarm = (sf->type & 0x80) != 0 &&
            strstr(sf->name, "alarm") != NULL;
        if (f->type == SENSORS_FEATURE_INTRUSION &&
            sf->type == SENSORS_SUBFEATURE_INTRUSION_ALARM)
            is_alarm = true;
        double v;
        if (is_alarm && (sf->flags & SENSORS_MODE_R) &&
            sensors_get_value(chip, sf->number, &v) == 0 && v != 0) {
            report_item(r, item, MON_WARN, "%s chip alarm (%s)", label,
                        sf->name);
            return;
        }
    }
}

/* ---- options ---- */

static void
usage(FILE *out)
{
    fprintf(out,
"Usage: %s [OPTION]... [HOST]...\n"
"Check temperatures, fans and chip alarms through libsensors (lm-sensors).\n"
"\n"
"  -c, --config FILE      libsensors configuration (default\n"
"                         /etc/sensors3.conf and /etc/sensors.d/)\n"
"      --temp-warn C      warn at or over C degrees (replaces the chip's\n"
"                         high/max limit and its alarm flag)\n"
"      --temp-crit C      critical at or over C degrees (replaces the\n"
"                         chip's crit limit and its alarm flag)\n"
"      --fan-min RPM      minimum fan speed (replaces the chip's fanN_min)\n"
"      --chip PATTERN     only chips whose name (nct6775-isa-0290) or\n"
"                         prefix (coretemp) matches the shell pattern;\n"
"                         repeatable\n"
"      --ignore FEATURE   skip features whose name (temp3), label\n"
"                         (\"Core 1\") or CHIP:FEATURE matches the shell\n"
"                         pattern; repeatable\n"
"  -h, --help             show this help and exit\n"
"\n"
"HOST arguments (appended by mon) are ignored: the check is local.\n"
"Items are named CHIP:FEATURE (it87-isa-0290:fan2).  Temperature: crit\n"
"limit critical, high limit warning.  Fan: FAULT, 0 RPM while a minimum\n"
"applies, or below the minimum: critical.  Chip alarm flags count.\n"
"\n"
"Exit status: 0 all ok, 1 warning, 2 critical, 3 could not check (no\n"
"sensors, an unreadable reading, bad configuration or arguments).\n",
        prog);
}

static double
parse_num(const char *opt, const char *s, double lo, double hi)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno || !(v >= lo && v <= hi))
        report_usage(prog, "%s: \"%s\" is not a number in %g..%g", opt, s,
                     lo, hi);
    return v;
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
    enum { O_TWARN = 256, O_TCRIT, O_FMIN, O_CHIP, O_IGNORE };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"temp-warn", required_argument, NULL, O_TWARN},
        {"temp-crit", required_argument, NULL, O_TCRIT},
        {"fan-min", required_argument, NULL, O_FMIN},
        {"chip", required_argument, NULL, O_CHIP},
        {"ignore", required_argument, NULL, O_IGNORE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case O_TWARN:
            o->temp_warn = parse_num("--temp-warn", optarg, -273, 1000);
            break;
        case O_TCRIT:
            o->temp_crit = parse_num("--temp-crit", optarg, -273, 1000);
            break;
        case O_FMIN:
            o->fan_min = parse_num("--fan-min", optarg, 0, 1e6);
            break;
        case O_CHIP:
            if (o->nchips == TEMP_MAX_PATTERNS)
                report_usage(prog, "--chip: more than %d patterns",
                             TEMP_MAX_PATTERNS);
            o->chips[o->nchips++] = optarg;
            break;
        case O_IGNORE:
            if (o->nignore == TEMP_MAX_PATTERNS)
                report_usage(prog, "--ignore: more than %d patterns",
                             TEMP_MAX_PATTERNS);
            o->ignore[o->nignore++] = optarg;
            break;
        case 'h': usage(stdout); exit(0);
        case ':':
            report_usage(prog, "option '%s' needs an argument",
                         argv[optind - 1]);
        default:
            report_usage(prog, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!isnan(o->temp_warn) && !isnan(o->temp_crit) &&
        o->temp_warn > o->temp_crit)
        report_usage(prog, "--temp-warn %g is above --temp-crit %g",
                     o->temp_warn, o->temp_crit);
}

static int
cmp_chip(const void *a, const void *b)
{
    const sensors_chip_name *x = *(const sensors_chip_name *const *)a;
    const sensors_chip_name *y = *(const sensors_chip_name *const *)b;
    char nx[TEMP_NAME_MAX], ny[TEMP_NAME_MAX];
    if (sensors_snprintf_chip_name(nx, sizeof(nx), x) < 0)
        snprintf(nx, sizeof(nx), "%s", x->prefix);
    if (sensors_snprintf_chip_name(ny, sizeof(ny), y) < 0)
        snprintf(ny, sizeof(ny), "%s", y->prefix);
    int c = strcmp(nx, ny);
    return c ? c : strcmp(x->path ? x->path : "", y->path ? y->path : "");
}

/* Chips selected by --chip: a shell pattern against the full chip name
 * ("coretemp-isa-0000") or its prefix ("coretemp").  Fills sel (pointers
 * into libsensors' list); returns the count. */
static int
select_chips(const struct opts *o, const sensors_chip_name **sel, int max)
{
    int n = 0, nr = 0;
    const sensors_chip_name *cn;
    while ((cn = sensors_get_detected_chips(NULL, &nr)) && n < max) {
        char name[TEMP_NAME_MAX];
        if (sensors_snprintf_chip_name(name, sizeof(name), cn) < 0)
            snprintf(name, sizeof(name), "%s", cn->prefix);
        bool take = o->nchips == 0;
        for (int i = 0; i < o->nchips && !take; i++)
            take = fnmatch(o->chips[i], name, 0) == 0 ||
                   fnmatch(o->chips[i], cn->prefix, 0) == 0;
        if (take)
            sel[n++] = cn;
    }
    /* libsensors lists chips in directory order; sort by name so the
     * perfdata and detail order is stable from run to run. */
    qsort(sel, (size_t)n, sizeof(*sel), cmp_chip);
    return n;
}

int
main(int argc, char **argv)
{
    struct opts o = { .temp_warn = NAN, .temp_crit = NAN, .fan_min = NAN };
    parse_args(argc, argv, &o);

    FILE *cfg = NULL;
    if (o.config)
        cfg_name = o.config;
    if (o.config && (cfg = fopen(o.config, "r")) == NULL)
        report_fatal("cannot open sensors config %s: %s", o.config,
                     strerror(errno));
    sensors_parse_error = on_parse_error;
    sensors_parse_error_wfn = on_parse_error_wfn;
    int rc = sensors_init(cfg);
    if (cfg)
        fclose(cfg);
    /* libsensors recovers from a syntax error and carries on without the
     * broken statement; a monitor would then judge with labels or limits
     * the operator did not mean, so any reported error is fatal. */
    if (parse_err[0])
        report_fatal("libsensors: error in configuration: %s", parse_err);
    if (rc != 0)
        report_fatal("libsensors: cannot initialise: %s",
                     sensors_strerror(rc));

    static const sensors_chip_name *sel[TEMP_MAX_CHIPS];
    int nsel = select_chips(&o, sel, TEMP_MAX_CHIPS);
    if (nsel == 0) {
        int nr = 0;
        if (sensors_get_detected_chips(NULL, &nr) == NULL)
            report_fatal("no sensors: libsensors found no chips "
                         "(no hwmon driver loaded? run sensors-detect)");
        report_fatal("no sensors: no chip matches --chip %s%s", o.chips[0],
                     o.nchips > 1 ? " ..." : "");
    }

    struct report r;
    report_init(&r);
    int nreadings = 0;
    for (int i = 0; i < nsel; i++) {
        const sensors_chip_name *chip = sel[i];
        char cname[TEMP_NAME_MAX];
        if (sensors_snprintf_chip_name(cname, sizeof(cname), chip) < 0)
            snprintf(cname, sizeof(cname), "%s", chip->prefix);
        const sensors_feature *f;
        int nr = 0;
        while ((f = sensors_get_features(chip, &nr)) != NULL) {
            char *label = sensors_get_label(chip, f);
            const char *lab = label ? label : f->name;
            if (ignored(&o, cname, f->name, lab)) {
                free(label);
                continue;
            }
            char item[2 * TEMP_NAME_MAX + 2];
            snprintf(item, sizeof(item), "%s:%s", cname, f->name);
            switch (f->type) {
            case SENSORS_FEATURE_TEMP:
                check_temp(&r, chip, f, item, lab, &o);
                nreadings++;
                break;
            case SENSORS_FEATURE_FAN:
                check_fan(&r, chip, f, item, lab, &o);
                nreadings++;
                break;
            default:
                check_other(&r, chip, f, item, lab);
                break;
            }
            free(label);
        }
    }
    if (nreadings == 0) {
        report_fini(&r);
        report_fatal("no sensors: no temperature or fan readings on %d "
                     "chip%s", nsel, nsel == 1 ? "" : "s");
    }
    rc = report_finish(&r, stdout);
    report_fini(&r);
    sensors_cleanup();
    return rc;
}
