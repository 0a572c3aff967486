#!/usr/bin/env bash
# bench/cot — p99 delivery latency of one change to N connected CoT (TAK) clients, beside the
# SSE figure for the same changes in the same run.
#
#   bash bench/cot/run.sh [--clients N] [--rounds R]     (defaults 500 clients, 30 rounds)
#
# Builds a release tansiqd, seeds the demo into a throw-away data dir with the CoT listener on,
# issues one client certificate through the API (key and CSR made with certtool), and runs
# bench.mjs: N TLS CoT connections and one SSE stream of il-sy, then R zones created through
# the API; latency = from just before each POST until the client has the event.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/bench/lib.sh"
clients=500
rounds=30
while [ $# -gt 0 ]; do
	case "$1" in
	--clients) clients=$2; shift 2 ;;
	--rounds) rounds=$2; shift 2 ;;
	*) echo "usage: $0 [--clients N] [--rounds R]" >&2; exit 2 ;;
	esac
done

bash "$root/scripts/deps.sh" web >/dev/null
[ -d "$root/node_modules" ] || (cd "$root" && npm ci --no-audit --no-fund >/dev/null)
bench_release_tansiqd
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"

bench_workdir

http_port=$(free_port); cot_port=$(free_port)
"$root/build-release/tansiqd" --demo --data "$work/data" --listen "127.0.0.1:$http_port" --rate-limit 0 \
	--cot-listen "127.0.0.1:$cot_port" >"$work/tq.out" 2>"$work/tq.err" &
tq_pid=$!
for _ in $(seq 300); do grep -q '^listening on' "$work/tq.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^listening on' "$work/tq.out" || { echo "tansiqd did not start" >&2; cat "$work/tq.err" >&2; exit 1; }
tok() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/data/demo-tokens.json" "$1"; }
admin=$(tok admin); il=$(tok IL)

certtool --generate-privkey --key-type ecdsa --outfile "$work/key.pem" 2>/dev/null
printf 'cn = "bench"\n' >"$work/tmpl"
certtool --generate-request --load-privkey "$work/key.pem" --template "$work/tmpl" --outfile "$work/csr.pem" 2>/dev/null
uid=$(curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
	-d '{"name":"bench-il","party":"IL","role":"operator"}' "http://127.0.0.1:$http_port/v1/users" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
python3 -c 'import json,sys; print(json.dumps({"csr": open(sys.argv[1]).read()}))' "$work/csr.pem" >"$work/csr.json"
curl -sf -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' --data-binary @"$work/csr.json" \
	"http://127.0.0.1:$http_port/v1/users/$uid/certificate" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["certificate"], end="")' >"$work/cert.pem"

echo "bench/cot: $clients CoT clients (TLS, one user of IL), $rounds zones created in il-sy; $(nproc) cores"
(cd "$root" && node bench/cot/bench.mjs "$cot_port" "$http_port" "$il" "$work/cert.pem" "$work/key.pem" "$clients" "$rounds")
