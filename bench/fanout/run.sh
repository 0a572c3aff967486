#!/usr/bin/env bash
# bench/fanout — live-event fan-out: N subscribers to one track's event stream, messages posted at a
# steady rate; p50/p99 post → receipt over every subscriber, server RSS, memory per idle subscriber,
# threads (issue 12).
#
#   bash bench/fanout/run.sh [--subscribers "1000 10000"] [--rate R] [--messages M]
#
# Builds a release tansiqd and the epoll client (bench/fanout/fanout.c), seeds the demo cell into a
# throw-away data dir, and for each N starts a fresh `tansiqd --demo --rate-limit 0` (open-file limit
# raised with ulimit -n), creates enough viewer users that no user holds more than the default 32
# streams, spreads the subscribers over enough loopback source addresses (127.0.0.2…) that none holds
# more than 200 (default cap 256), runs the client and prints its figures. All caps stay at their
# defaults except --max-streams, N + 32 when that is above the default 10,000 (room for the probe streams). FANOUT_PERF=PREFIX records a perf
# profile of the server (call graphs) over each client run into PREFIX.N. FANOUT_BATCH=1 runs the
# client's readers SCHED_BATCH (they do not preempt the server's writers on the shared CPUs).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/bench/lib.sh"
sizes="1000 10000"
rate=2
messages=40
while [ $# -gt 0 ]; do
	case "$1" in
	--subscribers) sizes=$2; shift 2 ;;
	--rate) rate=$2; shift 2 ;;
	--messages) messages=$2; shift 2 ;;
	*) echo "usage: $0 [--subscribers \"N1 N2\"] [--rate R] [--messages M]" >&2; exit 2 ;;
	esac
done

build=${BENCH_BUILD:-$root/build-bench}
release=${RELEASE_BUILD:-$root/build-release}
# TANSIQD_BIN=PATH runs another tansiqd binary (a before/after comparison in the same session).
tansiqd=${TANSIQD_BIN:-$release/tansiqd}
if [ -z "${TANSIQD_BIN:-}" ]; then
	bench_release_tansiqd "$release"
fi
mkdir -p "$build"
cc -O2 -std=c11 -Wall -Wextra -Werror -pthread -o "$build/fanout" "$root/bench/fanout/fanout.c"

# Each subscriber is a descriptor in the server and one in the client.
want=$(( $(echo "$sizes" | tr ' ' '\n' | sort -n | tail -1) + 2048 ))
ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "open-file limit: $(ulimit -n)"

bench_workdir

wait_listening() { for _ in $(seq 600); do grep -q "^listening on" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

start_server() { # extra options…
	port=$(free_port)
	"$tansiqd" --demo --data "$work/data" --listen "127.0.0.1:$port" --rate-limit 0 "$@" \
		>"$work/tq.out" 2>"$work/tq.err" &
	tq_pid=$!
	wait_listening "$work/tq.out" || { cat "$work/tq.err" >&2; exit 1; }
}
stop_server() { kill "$tq_pid"; wait "$tq_pid" || true; tq_pid=; }

# Viewer users of the track's parties, enough for N at 32 streams each; one token per line.
make_users() { # N
	python3 - "$1" "$port" "$work/data/demo-tokens.json" "$work/tokens" <<'PY'
import json, sys, urllib.request
n, port, tokens_file, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
admin = json.load(open(tokens_file))["admin"]
have = open(out).read().split() if __import__("os").path.exists(out) else []
need = -(-n // 30)
with open(out, "a") as f:
    for i in range(len(have), need):
        party = ["IL", "SY", "US", "RU"][i % 4]
        body = json.dumps({"name": f"fanout-{i}", "party": party, "role": "viewer"}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/users", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/json"})
        f.write(json.load(urllib.request.urlopen(req))["token"] + "\n")
PY
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $sizes; do
	extra=()
	# The probe streams (fanout.c; one at a time, but a closed one holds its slot until the server
	# next writes to it) need room above N: the cell-wide cap (default 10,000) is raised by 32.
	[ "$((n + 32))" -gt 10000 ] && extra=(--max-streams "$((n + 32))")
	start_server "${extra[@]}"
	make_users "$n"
	stop_server
	start_server "${extra[@]}" # fresh: RSS before subscribers is the server's own
	post_token=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['IL'])" "$work/data/demo-tokens.json")
	sources=$(( (n + 199) / 200 ))
	echo "--- N = $n ---"
	# FANOUT_PERF=PREFIX: profile the server (perf record -g) for the whole client run into PREFIX.N
	[ -n "${FANOUT_PERF:-}" ] && { perf record -q -F 499 -g -p "$tq_pid" -o "$FANOUT_PERF.$n" 2>/dev/null & perf_pid=$!; }
	"$build/fanout" --port "$port" --pid "$tq_pid" --tokens "$work/tokens" --post-token "$post_token" \
		--subscribers "$n" --rate "$rate" --messages "$messages" --sources "$sources" ${FANOUT_BATCH:+--batch} || status=$?
	[ -n "${perf_pid:-}" ] && { kill -INT "$perf_pid"; wait "$perf_pid" || true; perf_pid=; }
	echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
	stop_server
done
exit "${status:-0}"
