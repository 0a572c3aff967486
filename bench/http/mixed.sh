#!/usr/bin/env bash
# bench/http/mixed.sh — reads under a full write load (issue 12): requests/s of GET PATH alone, then
# the same reads while WRITERS connections post durable hotline messages as fast as they are answered,
# in the same run against the same server; prints both, the ratio (target >= 0.8) and the writes/s.
#
#   bash bench/http/mixed.sh [--duration SECONDS] [--readers N] [--writers N] [--path PATH] [--tansiqd BIN]
#
# Builds a release tansiqd (or runs BIN, e.g. an older build to compare), seeds the demo into a throw-away data dir (--rate-limit 0), runs wrk.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/bench/lib.sh"
duration=10
readers=16
writers=16
path=/v1/tracks/il-sy/conflicts?limit=10
bin=
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) duration=$2; shift 2 ;;
	--readers) readers=$2; shift 2 ;;
	--writers) writers=$2; shift 2 ;;
	--path) path=$2; shift 2 ;;
	--tansiqd) bin=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--readers N] [--writers N] [--path PATH] [--tansiqd BIN]" >&2; exit 2 ;;
	esac
done

bash "$root/scripts/deps.sh" bench >/dev/null
if [ -z "$bin" ]; then
	bench_release_tansiqd
	bin=$root/build-release/tansiqd
fi

bench_workdir
bench_start_demo "$bin"
curl -sf -H "Authorization: Bearer $token" "$url$path" >/dev/null

# wrk's report → "requests/s non2xx"
run_wrk() { # out conns duration url [extra wrk args]
	local out=$1 c=$2 d=$3 u=$4; shift 4
	wrk -t1 -c"$c" -d"${d}s" -H "Authorization: Bearer $token" "$@" "$u" >"$out"
}
summary() { awk '/Requests\/sec/ {r=$2} /Non-2xx/ {n=$5} END {printf "%s %d\n", r, n}' "$1"; }

echo "bench/http mixed: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "reads: GET $path, wrk -t1 -c$readers -d${duration}s; writes: POST /v1/tracks/il-sy/messages, wrk -t1 -c$writers"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

run_wrk "$work/reads-alone" "$readers" "$duration" "$url$path"
read -r r_alone r_alone_bad < <(summary "$work/reads-alone")

run_wrk "$work/writes-alone" "$writers" "$duration" "$url/v1/tracks/il-sy/messages" -s "$root/bench/http/post.lua"
read -r w_alone w_alone_bad < <(summary "$work/writes-alone")

# Writers start first and outlast the readers by a second on each side.
run_wrk "$work/writes-mixed" "$writers" "$((duration + 2))" "$url/v1/tracks/il-sy/messages" \
	-s "$root/bench/http/post.lua" &
w_pid=$!
sleep 1
run_wrk "$work/reads-mixed" "$readers" "$duration" "$url$path"
wait "$w_pid"
read -r r_mixed r_mixed_bad < <(summary "$work/reads-mixed")
read -r w_mixed w_mixed_bad < <(summary "$work/writes-mixed")

printf 'reads alone        %10.0f req/s   (non-2xx %d)\n' "$r_alone" "$r_alone_bad"
printf 'writes alone       %10.0f req/s   (non-2xx %d)\n' "$w_alone" "$w_alone_bad"
printf 'reads under writes %10.0f req/s   (non-2xx %d)\n' "$r_mixed" "$r_mixed_bad"
printf 'writes under reads %10.0f req/s   (non-2xx %d)\n' "$w_mixed" "$w_mixed_bad"
printf 'ratio reads under writes / reads alone: %.2f (target >= 0.8)\n' "$(echo "$r_mixed / $r_alone" | bc -l)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
kill "$tq_pid"; wait "$tq_pid" 2>/dev/null || true; tq_pid=
grep -h "writes in" "$work/tq.out" || true
