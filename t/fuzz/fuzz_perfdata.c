/*
 * fuzz_perfdata.c — Nagios-style perfdata in monitor output,
 * perfdata_split_output() and perfdata_parse().
 *
 * The input is a monitor's whole output (not NUL-terminated: it is
 * split by length).  Checks: the summary is one line with no trailing
 * blank, summary and detail are no longer than the input, every item
 * has a label and a terminated unit of at most 7 bytes; perfdata_parse()
 * of the input as a string adds exactly the count it returns.
 */
#include "fuzz.h"
#include "perfdata.h"

static void
check_items(const struct perf_set *ps, size_t from)
{
    FUZZ_CHECK(ps->n <= ps->cap || ps->n == 0, "n %zu > cap %zu", ps->n,
               ps->cap);
    for (size_t i = from; i < ps->n; i++) {
        const struct perf_item *it = &ps->items[i];
        FUZZ_CHECK(it->label != NULL, "item %zu without label", i);
        FUZZ_CHECK(memchr(it->unit, '\0', sizeof(it->unit)) != NULL,
                   "item %zu: unit not terminated", i);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_INPUT_MAX)
        return 0;
    char *out = fuzz_copy(data, size);
    char *summary = NULL, *detail = NULL;
    struct perf_set ps;
    perf_set_init(&ps);

    perfdata_split_output(out, size, &summary, &detail, &ps);
    FUZZ_CHECK(summary != NULL && detail != NULL, "NULL summary/detail");
    size_t sl = strlen(summary), dl = strlen(detail);
    FUZZ_CHECK(sl <= size && dl <= size, "summary %zu detail %zu of %zu",
               sl, dl, size);
    FUZZ_CHECK(strchr(summary, '\n') == NULL, "summary has a newline");
    FUZZ_CHECK(sl == 0 || (summary[sl - 1] != ' ' && summary[sl - 1] != '\t'),
               "summary \"%s\" ends in a blank", summary);
    check_items(&ps, 0);
    free(summary);
    free(detail);

    char *s = fuzz_cstr(data, size);
    size_t before = ps.n;
    size_t added = perfdata_parse(s, &ps);
    FUZZ_CHECK(ps.n == before + added, "parse said %zu, added %zu", added,
               ps.n - before);
    check_items(&ps, before);
    perf_set_fini(&ps);
    free(s);
    free(out);
    return 0;
}
