#!/bin/sh
# bench/http.sh — mond's HTTP server under load (issue 7).  Prints
# figures; never pass/fail.
#
# Starts mond with N (default 10,000) services of the trivial tick
# monitor (interval INTERVAL s, spread by randstart), then for SECS
# seconds each: idle, wrk on /api/v1/status, wrk on /metrics, wrk on the
# page.  For each phase: requests/s and latency (wrk), and how late checks
# started meanwhile, from mond's own mond_check_lateness_seconds histogram
# (the delta over the phase): serving must not delay checks.
#
# Usage: bench/http.sh [BUILD_DIR]     env: N SECS INTERVAL WARMUP CONNS
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
N=${N:-10000}
SECS=${SECS:-10}
INTERVAL=${INTERVAL:-120}
WARMUP=${WARMUP:-20}
CONNS=${CONNS:-8}
MOND="$BUILD/mond"
TICK="$BUILD/bench/tick.monitor"

[ -x "$MOND" ] && [ -x "$TICK" ] || {
    echo "bench/http.sh: build first (need $MOND and $TICK)" >&2
    exit 2
}
if ! command -v wrk >/dev/null 2>&1; then
    echo "bench/http.sh: installing Debian's wrk" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get install -y -q --no-install-recommends wrk >/dev/null
fi

tmp=$(mktemp -d)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

freeport() {
    python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, int(sys.argv[1])); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"
}
port=$(freeport 1)
mkdir -p "$tmp/mon.d" "$tmp/state" "$tmp/log"
cp "$TICK" "$tmp/mon.d/"
{
    echo "httpport = $port"
    echo "serverport = $(freeport 1)"
    echo "trapport = $(freeport 2)"
    echo "randstart = ${INTERVAL}s"
    echo
    echo "hostgroup bench localhost"
    echo
    echo "watch bench"
    i=0
    while [ $i -lt "$N" ]; do
        printf '    service s%d\n        interval %ss\n        monitor tick.monitor ;;\n' \
            $i "$INTERVAL"
        i=$((i + 1))
    done
} > "$tmp/mon.cf"

"$MOND" -c "$tmp/mon.cf" -s "$tmp/mon.d" -a "$tmp/mon.d" \
    -D "$tmp/state" -L "$tmp/log" > "$tmp/mond.log" 2>&1 &
pid=$!
url="http://127.0.0.1:$port"
i=0
until curl -sf "$url/api/v1/status" -o /dev/null; do
    i=$((i + 1))
    [ $i -lt 300 ] || { echo "mond did not come up:"; cat "$tmp/mond.log"; exit 1; }
    sleep 0.1
done

late() {
    curl -sf "$url/metrics" | grep -E '^mond_(check_lateness_seconds|http_busy_seconds_total)'
    awk '{print "cpu_ticks", $14 + $15}' /proc/$pid/stat
}

# lateness delta of a phase: "checks mean_ms share<=1ms share<=10ms share<=100ms p99<=bound"
late_delta() {
    python3 - "$1" "$2" "$3" <<'EOF'
import re, sys
def parse(path):
    b, s, c = {}, 0.0, 0
    for line in open(path):
        m = re.match(r'mond_check_lateness_seconds_bucket\{le="([^"]+)"\} (\d+)', line)
        if m:
            b[m.group(1)] = int(m.group(2))
        elif line.startswith("mond_check_lateness_seconds_sum"):
            s = float(line.split()[1])
        elif line.startswith("mond_check_lateness_seconds_count"):
            c = int(line.split()[1])
    return b, s, c
b0, s0, c0 = parse(sys.argv[1])
b1, s1, c1 = parse(sys.argv[2])
def val(path, key):
    for line in open(path):
        if line.startswith(key + " "):
            return float(line.split()[1])
    return 0.0
import os
hz = os.sysconf("SC_CLK_TCK")
busy = val(sys.argv[2], "mond_http_busy_seconds_total") - \
    val(sys.argv[1], "mond_http_busy_seconds_total")
cpu = (val(sys.argv[2], "cpu_ticks") - val(sys.argv[1], "cpu_ticks")) / hz
secs = float(sys.argv[3])
print(f"mond CPU {100 * cpu / secs:.0f}%, of which in HTTP {100 * busy / secs:.0f}%; ", end="")
n = c1 - c0
if n <= 0:
    print("no checks started"); sys.exit()
d = {k: b1[k] - b0.get(k, 0) for k in b1}
def share(le):
    return 100.0 * d[le] / n
p99 = next((le for le in sorted(d, key=lambda x: float(x))
            if d[le] >= 0.99 * n), "+Inf")
print(f"{n} checks started, lateness mean {1000 * (s1 - s0) / n:.2f} ms, "
      f"<=1ms {share('0.001'):.1f}%, <=10ms {share('0.01'):.1f}%, "
      f"<=100ms {share('0.1'):.1f}%, p99 <= {p99} s")
EOF
}

echo "mond $($MOND -v | cut -d' ' -f2): $N services, interval ${INTERVAL}s" \
     "(~$((N / INTERVAL)) checks/s), $(nproc) CPUs, wrk $CONNS connections, ${SECS}s per phase"
echo "warming up for ${WARMUP}s (randstart spreads the first checks over ${INTERVAL}s)..."
sleep "$WARMUP"
printf 'size of /api/v1/status: %s bytes, /metrics: %s bytes, /: %s bytes\n' \
    "$(curl -s "$url/api/v1/status" | wc -c)" "$(curl -s "$url/metrics" | wc -c)" \
    "$(curl -s "$url/" | wc -c)"

late > "$tmp/l0"
sleep "$SECS"
late > "$tmp/l1"
echo "idle:            $(late_delta "$tmp/l0" "$tmp/l1" "$SECS")"

for path in /api/v1/status /metrics /; do
    late > "$tmp/l0"
    wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "$url$path" > "$tmp/wrk" 2>&1 || true
    late > "$tmp/l1"
    rps=$(awk '/^Requests\/sec/ {print $2}' "$tmp/wrk")
    p50=$(awk '$1 == "50%" {print $2}' "$tmp/wrk")
    p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk")
    errs=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' "$tmp/wrk")
    printf '%-16s %s req/s, latency p50 %s p99 %s %s\n' "GET $path:" \
        "$rps" "$p50" "$p99" "$errs"
    echo "  meanwhile:     $(late_delta "$tmp/l0" "$tmp/l1" "$SECS")"
done
echo "mond RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status)"
