#!/usr/bin/env bash
# bench/http/check-mixed.sh — engine reads under a full write load (issue 12, "the conflict engines
# behind a reader-writer lock"): dry-run checks/s (POST /v1/tracks/il-sy/check, bench/http/check.lua)
# alone, then the same checks while WRITERS connections write as fast as they are answered —
# declarations of activities in il-sy (bench/http/declare.lua: the engine changes, one durable
# commit each) or durable hotline messages (--writes messages) — in the same run against the same
# server; prints both, the ratio (target >= 0.8) and the writes/s. Modelled on bench/http/mixed.sh.
#
#   bash bench/http/check-mixed.sh [--duration SECONDS] [--readers N] [--writers N]
#                                  [--writes declarations|messages] [--tansiqd BIN]
#
# Builds a release tansiqd (or runs BIN, e.g. a build of main to compare), seeds the demo into a
# throw-away data dir (--rate-limit 0), runs wrk.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/bench/lib.sh"
duration=10
readers=16
writers=16
writes=declarations
bin=
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) duration=$2; shift 2 ;;
	--readers) readers=$2; shift 2 ;;
	--writers) writers=$2; shift 2 ;;
	--writes) writes=$2; shift 2 ;;
	--tansiqd) bin=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--readers N] [--writers N] [--writes declarations|messages] [--tansiqd BIN]" >&2; exit 2 ;;
	esac
done
case "$writes" in
declarations) w_path=/v1/tracks/il-sy/activities; w_lua=$root/bench/http/declare.lua ;;
messages) w_path=/v1/tracks/il-sy/messages; w_lua=$root/bench/http/post.lua ;;
*) echo "--writes: declarations or messages" >&2; exit 2 ;;
esac

bash "$root/scripts/deps.sh" bench >/dev/null
if [ -z "$bin" ]; then
	bench_release_tansiqd
	bin=$root/build-release/tansiqd
fi

bench_workdir
bench_start_demo "$bin"
check_url="$url/v1/tracks/il-sy/check"
# The check must answer 200 with findings (the demo's zones and deployments around it).
body=$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p; s/^\t\.\. '\(.*\)'$/\1/p" "$root/bench/http/check.lua" | tr -d '\n')
found=$(curl -sf -X POST -H "Authorization: Bearer $token" -H "Content-Type: application/json" -d "$body" "$check_url" |
	python3 -c "import json,sys; print(len(json.load(sys.stdin)['conflicts']))")
[ "$found" -gt 0 ] || { echo "the check finds nothing: not a fair load" >&2; exit 1; }

# wrk's report → "requests/s non2xx"
run_wrk() { # out conns duration url [extra wrk args]
	local out=$1 c=$2 d=$3 u=$4; shift 4
	wrk -t1 -c"$c" -d"${d}s" -H "Authorization: Bearer $token" "$@" "$u" >"$out"
}
summary() { awk '/Requests\/sec/ {r=$2} /Non-2xx/ {n=$5} END {printf "%s %d\n", r, n}' "$1"; }

echo "bench/http check-mixed: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "reads: POST /v1/tracks/il-sy/check ($found findings each), wrk -t1 -c$readers -d${duration}s;" \
	"writes: POST $w_path ($writes), wrk -t1 -c$writers"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

run_wrk "$work/reads-alone" "$readers" "$duration" "$check_url" -s "$root/bench/http/check.lua"
read -r r_alone r_alone_bad < <(summary "$work/reads-alone")

run_wrk "$work/writes-alone" "$writers" "$duration" "$url$w_path" -s "$w_lua"
read -r w_alone w_alone_bad < <(summary "$work/writes-alone")

# Writers start first and outlast the readers by a second on each side.
run_wrk "$work/writes-mixed" "$writers" "$((duration + 2))" "$url$w_path" -s "$w_lua" &
w_pid=$!
sleep 1
run_wrk "$work/reads-mixed" "$readers" "$duration" "$check_url" -s "$root/bench/http/check.lua"
wait "$w_pid"
read -r r_mixed r_mixed_bad < <(summary "$work/reads-mixed")
read -r w_mixed w_mixed_bad < <(summary "$work/writes-mixed")

printf 'checks alone        %10.0f req/s   (non-2xx %d)\n' "$r_alone" "$r_alone_bad"
printf 'writes alone        %10.0f req/s   (non-2xx %d)\n' "$w_alone" "$w_alone_bad"
printf 'checks under writes %10.0f req/s   (non-2xx %d)\n' "$r_mixed" "$r_mixed_bad"
printf 'writes under checks %10.0f req/s   (non-2xx %d)\n' "$w_mixed" "$w_mixed_bad"
printf 'ratio checks under writes / checks alone: %.2f (target >= 0.8)\n' "$(echo "$r_mixed / $r_alone" | bc -l)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
kill "$tq_pid"; wait "$tq_pid" 2>/dev/null || true; tq_pid=
grep -h "writes in" "$work/tq.out" || true
