"""Differential test: mond's periods against Perl's Time::Period.

Thousands of seeded random period specs (every scale, long and short
names, names and numbers, wrap-arounds, case and whitespace variety, and
mutations that break them) are evaluated at many times each, in two
time zones, by Perl's inPeriod() and by `monctl period --batch`; every
answer must agree.

Where they may not agree, by design: inPeriod() only checks a
sub-period when it reaches it, so a spec with a malformed sub-period can
still answer 1 or 0; mond refuses such a spec whole.  The Perl side
therefore also says whether every sub-period of the spec is well formed
(inPeriod on each alone), and the rule asserted is:
  - well formed: no -1 from Perl, and mond's answer equals Perl's at
    every time;
  - malformed: mond refuses the spec (and Perl answered -1 at least
    wherever no earlier sub-period matched, which we do not re-check).
"""
import os
import random
import subprocess

import pytest

from conftest import build_path, run

SEED = 20240601
NSPECS = 3000
NTIMES = 20
ZONES = ["Asia/Tokyo", "America/New_York"]

PERL = r'''
use strict;
use warnings;
no warnings qw(numeric);
use Time::Period;

# Is every sub-period well formed?  The same trim, lc and split as
# inPeriod; a sub-period with no "{" is malformed in context (inPeriod
# alone would call "" blank and "none" none).
sub strict_ok {
    my ($p) = @_;
    $p =~ s/^\s*(.*)/$1/;
    $p =~ s/\s*$//;
    $p = lc($p);
    return 1 if $p eq "" || $p eq "none";
    foreach my $sub (split(/\s*,\s*/, $p)) {
        return 0 if $sub !~ /\{/;
        return 0 if inPeriod(0, $sub) == -1;
    }
    return 1;
}

my %esc = ('\\' => "\\", 't' => "\t", 'n' => "\n", 'r' => "\r",
           'f' => "\f", 'v' => "\x0b");
while (my $line = <STDIN>) {
    chomp $line;
    my ($spec, $times) = split(/\t/, $line, 2);
    $spec =~ s/\\(.)/$esc{$1}/g;
    my @r = map { inPeriod($_, $spec) } split(/ /, $times);
    print strict_ok($spec), " @r\n";
}
'''

SCALES = [  # code, long name
    ("yr", "year"), ("mo", "month"), ("wk", "week"), ("yd", "yday"),
    ("md", "mday"), ("wd", "wday"), ("hr", "hour"), ("min", "minute"),
    ("sec", "second"),
]
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
          "oct", "nov", "dec"]
MONTHS_LONG = ["january", "february", "march", "april", "may", "june",
               "july", "august", "september", "october", "november",
               "december"]
WDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
         "saturday"]
SPACES = [" ", " ", " ", "  ", "\t", " \t", "\r", "\f", "\x0b", "\n"]


def randcase(r, s):
    k = r.random()
    if k < 0.6:
        return s
    if k < 0.75:
        return s.upper()
    if k < 0.9:
        return s.capitalize()
    return "".join(c.upper() if r.random() < 0.5 else c for c in s)


def ws(r, p=0.5):
    return r.choice(SPACES) if r.random() < p else ""


def value(r, code):
    """A value of the scale, mostly valid, sometimes not."""
    bad = r.random() < 0.05
    if code == "yr":
        if bad:
            return str(r.choice([100, 500, 1969, 1234]))
        k = r.random()
        if k < 0.4:
            return "%02d" % r.randrange(0, 100) if r.random() < 0.5 \
                else str(r.randrange(0, 100))
        return str(r.randrange(1970, 2045))
    if code == "mo":
        if bad:
            return r.choice(["0", "13", "ja", "foo", "1x", "_"])
        k = r.random()
        if k < 0.4:
            return str(r.randrange(1, 13))
        m = r.randrange(12)
        if k < 0.8:
            return randcase(r, MONTHS[m])
        return randcase(r, MONTHS_LONG[m])
    if code == "wk":
        return r.choice(["0", "7", "x"]) if bad else str(r.randrange(1, 7))
    if code == "yd":
        if bad:
            return r.choice(["0", "367", "a5", "1.5", "x"])
        if r.random() < 0.1:  # Perl's numeric conversion quirks
            return r.choice(["5a", "2.0", "+5", "1e2", "36.6e1", "0x10",
                             "1_0", "3e", "45.00"])
        return str(r.randrange(1, 367))
    if code == "md":
        return r.choice(["0", "32", "1st"]) if bad \
            else str(r.randrange(1, 32))
    if code == "wd":
        if bad:
            return r.choice(["0", "8", "m", "xyz", "1a"])
        k = r.random()
        d = r.randrange(7)
        if k < 0.35:
            return str(d + 1)
        if k < 0.7:
            return randcase(r, WDAYS[d][:2])
        if k < 0.9:
            return randcase(r, WDAYS[d][:3])
        return randcase(r, WDAYS[d])
    if code == "hr":
        if bad:
            return r.choice(["24", "noon", "13pm", "11noon", "x", "1 am"])
        k = r.random()
        if k < 0.4:
            return str(r.randrange(0, 24))
        if k < 0.65:
            return randcase(r, "%dam" % r.randrange(1, 13))
        if k < 0.9:
            return randcase(r, "%dpm" % r.randrange(1, 13))
        return randcase(r, r.choice(["12noon", "13am", "0am", "0pm",
                                     "012am"]))
    # min, sec
    return r.choice(["60", "-", "x5"]) if bad else str(r.randrange(0, 60))


def rng(r, code):
    if r.random() < 0.45:
        return value(r, code)
    dash = r.choice(["-", "-", "-", " - ", "- ", " -", "\t-\t"])
    return value(r, code) + dash + value(r, code)


def group(r):
    code, lng = r.choice(SCALES)
    name = randcase(r, code if r.random() < 0.5 else lng)
    n = r.choice([0, 1, 1, 1, 2, 2, 3])
    ranges = (r.choice(SPACES)).join(rng(r, code) for _ in range(n))
    return name + ws(r) + "{" + ws(r) + ranges + ws(r) + "}"


def sub(r):
    return ws(r, 0.6).join(group(r) for _ in range(r.choice([1, 1, 2, 2,
                                                              3])))


MUTATE_CHARS = "{}-,x5 a"

# Pieces for "soup": specs glued from tokens at random, mostly malformed,
# some valid in ways no grammar-driven generator would think of.
SOUP = ["hr", "wd", "yd", "mo", "yr", "min", "sec", "md", "wk", "hour",
        "month", "year", "{", "}", "{", "}", "-", "-", ",", " ", "\t",
        "\n", "1", "2", "12", "5", "9", "0", "31", "366", "am", "pm",
        "noon", "jan", "mon", "su", "fr", "a", "e", ".", "+", "_", "x",
        "\xe9", "\x0b", "99", "1970", "2030", "70", "1e2"]


def mutate(r, s):
    if not s:
        return r.choice(MUTATE_CHARS)
    i = r.randrange(len(s))
    k = r.random()
    if k < 0.35:
        return s[:i] + s[i + 1:]
    if k < 0.7:
        return s[:i] + r.choice(MUTATE_CHARS) + s[i:]
    if k < 0.85:
        return s[:i] + s[i] + s[i:]
    return s[:i] + "\n" + s[i:]


FIXED = [
    "", "   ", "none", "NONE", " None ", ",", " , , ", "hr {1},",
    ",hr {1}", "hr {1},,hr {2}", "wd {Mon-Fri} hr {9am-4pm}",
    "wd {Mon Wed Fri} hr {9am-4pm}, wd{Tue Thu} hr {9am-2pm}",
    "wk {1 3 5} wd {Mon Wed Fri} hr {9am-4pm}", "mo {Nov-Feb}",
    "mo {Jan-Feb Nov-Dec}", "mo {jan feb nov dec}",
    "mo {Jan Feb}, mo {Nov Dec}", "mo {Jan Feb} mo {Nov Dec}", "minute { 0-29 }", "hour { 12am-11am }",
    "sec {0-4 10-14 20-24 30-34 40-44 50-54}",
    "wd {1 3 5 7} min {0-29}, wd {2 4 6} min {30-59}",
    "hr {}", "hr {} wd {1-7}", "yr {99-1972}", "yr {1972-99}", "yr {69}",
    "yr {70-10}", "hr {20-4}", "min {20-10}", "hr {1\nxx} min {0-59}",
    "hr {1-2-3}", "mo {jan-feb-mar}", "wd {monkey-fri}", "hr {noon}",
    "hr {12noon}", "yd {5a}", "yd {2.0}", "hr {0-23}, garbage",
    "yd {5.000000000000001}", "yd {5.0000000000000001} hr {0-23}",
    "mon {1}", "minu {1}", "h {1}", "hr{1}wd{2}", "hr {1}} wd {2}",
    "hr {1 {2}}", "{1}", "hr 1", "hr {1", "hr {1 - 5}", "hr {1 -}",
    "hr {- 5}", "hr {1 - - 5}", "WD {MO-FR} HR {9AM-5PM}",
    "hr {1}\xe9", "hr {\xe9}",
]


def make_specs():
    r = random.Random(SEED)
    specs = list(FIXED)
    while len(specs) < NSPECS:
        k = r.random()
        if k < 0.02:
            s = r.choice(["", " ", "none", "NoNe", "\t"])
        elif k < 0.12:
            s = "".join(r.choice(SOUP) for _ in range(r.randrange(1, 12)))
        else:
            s = (ws(r, 0.6) + "," + ws(r, 0.6)).join(
                sub(r) for _ in range(r.choice([1, 1, 1, 2, 2, 3])))
            if r.random() < 0.05:
                s = "," + s if r.random() < 0.5 else s + ","
            s = ws(r, 0.2) + s + ws(r, 0.2)
        if r.random() < 0.2:
            s = mutate(r, s)
        specs.append(s)
    return specs


def make_times(r):
    out = []
    for _ in range(NTIMES):
        k = r.random()
        if k < 0.8:
            out.append(r.randrange(0, 2**31))
        elif k < 0.9:
            out.append(r.randrange(0, 3 * 86400))   # 1969 in New York
        else:
            out.append(r.randrange(2**31, 2**33))   # 2038 .. 2242
    return out


def escape(s):
    return (s.replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n").replace("\r", "\\r")
            .replace("\f", "\\f").replace("\x0b", "\\v"))


def have_time_period():
    try:
        return subprocess.run(["perl", "-MTime::Period", "-e", "1"],
                              capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.parametrize("zone", ZONES)
def test_agrees_with_time_period(zone, tmp_path):
    if not have_time_period():
        pytest.skip("perl Time::Period (libtime-period-perl) not installed")
    if not os.path.exists(os.path.join("/usr/share/zoneinfo", zone)):
        pytest.skip(f"tzdata has no {zone}")
    specs = make_specs()
    r = random.Random(SEED + 1)
    times = [make_times(r) for _ in specs]
    lines = "".join(escape(s) + "\t" + " ".join(map(str, t)) + "\n"
                    for s, t in zip(specs, times)).encode("latin-1")
    env = dict(os.environ, TZ=zone)

    perl_script = tmp_path / "inperiod.pl"
    perl_script.write_text(PERL)
    perl = subprocess.run(["perl", str(perl_script)], input=lines,
                          capture_output=True, env=env, timeout=300)
    assert perl.returncode == 0, perl.stderr.decode(errors="replace")
    mond = subprocess.run([build_path("monctl"), "period", "--batch"],
                          input=lines, capture_output=True, env=env,
                          timeout=300)
    assert mond.returncode == 0, mond.stderr.decode(errors="replace")
    plines = perl.stdout.decode().splitlines()
    mlines = mond.stdout.decode().splitlines()
    assert len(plines) == len(specs) == len(mlines)

    bad = []
    nvalid = nmalformed = nin = nout = 0
    for spec, t, pl, ml in zip(specs, times, plines, mlines):
        fields = pl.split()
        strict, res = fields[0], fields[1:]
        assert len(res) == len(t)
        if "-1" in res:
            assert strict == "0", f"harness: -1 for well-formed {spec!r}"
        if strict == "1":
            nvalid += 1
            want = "".join(res)
            nin += want.count("1")
            nout += want.count("0")
            if ml != want:
                bad.append(f"{spec!r} times {t}: perl {want} mond {ml}")
        else:
            nmalformed += 1
            if not ml.startswith("E"):
                bad.append(f"{spec!r}: perl says malformed ({res}), "
                           f"mond {ml}")
    assert not bad, f"{len(bad)} disagreements in {zone}:\n" + \
        "\n".join(bad[:20])
    # The generator must exercise both sides of every question.
    assert nvalid > NSPECS // 3 and nmalformed > NSPECS // 20, \
        (nvalid, nmalformed)
    assert nin > (nin + nout) // 10 and nout > (nin + nout) // 10, \
        (nin, nout)


def test_batch_rejects_bad_epoch():
    res = run([build_path("monctl"), "period", "--batch"],
              input="hr {1}\tnoon\n")
    assert res.returncode == 2
    assert 'bad EPOCH "noon"' in res.stderr
