#!/usr/bin/env bash
# bench/http — requests/s of tansiqd answering GET /v1/tracks/{t}/conflicts?limit=10 against
# nginx serving the same JSON bytes as a static file, in the same run, with TLS off and on.
#
#   bash bench/http/run.sh [--duration SECONDS] [--connections N] [--path PATH]
#
# Installs wrk and nginx (Debian), builds a release tansiqd, seeds the demo into a throw-away
# data dir, starts a throw-away nginx, runs wrk against both, prints both rates and the ratio.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/bench/lib.sh"
duration=10
conns=32
path=/v1/tracks/il-sy/conflicts?limit=10
while [ $# -gt 0 ]; do
	case "$1" in
	--duration) duration=$2; shift 2 ;;
	--connections) conns=$2; shift 2 ;;
	--path) path=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--connections N] [--path PATH]" >&2; exit 2 ;;
	esac
done

bash "$root/scripts/deps.sh" bench >/dev/null
bench_release_tansiqd

bench_on_exit() {
	[ -n "${tqs_pid:-}" ] && kill "$tqs_pid" 2>/dev/null || true
	[ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
}
bench_workdir


openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
	-addext subjectAltName=IP:127.0.0.1 -days 2 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

tq_port=$(free_port); tqs_port=$(free_port); ng_port=$(free_port); ngs_port=$(free_port)
"$root/build-release/tansiqd" --demo --data "$work/data" --listen "127.0.0.1:$tq_port" --rate-limit 0 >"$work/tq.out" 2>&1 &
tq_pid=$!
wait_port "$tq_port"
sleep 1
token=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['IL'])" "$work/data/demo-tokens.json")

curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$tq_port$path" >"$work/body.json"
mkdir -p "$work/www"
cp "$work/body.json" "$work/www/conflicts.json"
cat >"$work/nginx.conf" <<NGINX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 4096; }
http {
    access_log off;
    default_type application/json;
    server { listen 127.0.0.1:$ng_port; location / { root $work/www; } }
    server { listen 127.0.0.1:$ngs_port ssl; ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
             ssl_protocols TLSv1.2 TLSv1.3; location / { root $work/www; } }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work"
wait_port "$ng_port"

rate() { # url [header]
	wrk -t2 -c"$conns" -d"${duration}s" ${2:+-H "$2"} "$1" | awk '/Requests\/sec/ {print $2}'
}

echo "bench/http: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), wrk -t2 -c$conns -d${duration}s"
echo "response: $(wc -c <"$work/body.json") bytes of JSON ($path)"
tq=$(rate "http://127.0.0.1:$tq_port$path" "Authorization: Bearer $token")
ng=$(rate "http://127.0.0.1:$ng_port/conflicts.json")
printf 'TLS off: tansiqd %10.0f req/s   nginx %10.0f req/s   ratio %.2f\n' "$tq" "$ng" "$(echo "$tq / $ng" | bc -l)"

kill "$tq_pid"; wait "$tq_pid" 2>/dev/null || true; tq_pid=
"$root/build-release/tansiqd" --data "$work/data" --listen "127.0.0.1:$tqs_port" --rate-limit 0 \
	--tls-cert "$work/cert.pem" --tls-key "$work/key.pem" >"$work/tqs.out" 2>&1 &
tqs_pid=$!
wait_port "$tqs_port"
tqs=$(rate "https://127.0.0.1:$tqs_port$path" "Authorization: Bearer $token")
ngs=$(rate "https://127.0.0.1:$ngs_port/conflicts.json")
printf 'TLS on:  tansiqd %10.0f req/s   nginx %10.0f req/s   ratio %.2f\n' "$tqs" "$ngs" "$(echo "$tqs / $ngs" | bc -l)"
echo "target: ratio >= 0.5 with TLS off and on"
