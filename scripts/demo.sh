#!/usr/bin/env bash
# make demo: tansiqd --demo with one witness beside it, run for the supervisor (US), so that the
# checkpoints at /v1/log/checkpoint carry its cosignature (C2SP tlog-witness / tlog-cosignature).
#
#   scripts/demo.sh BUILD DATA LISTEN WITNESS_LISTEN [COT_LISTEN]
#
# With COT_LISTEN, tansiqd also serves TAK clients there (CoT over TLS, docs/tak.md) and writes a
# TAK data package per demo user into DATA/tak/.
#
# The witness's key and state live in DATA (witness-us.key, witness-us.key.state; its vkey in
# witness-us.vkey). It must know the log's key, which tansiqd makes on its first start: on the
# first run tansiqd seeds the demo, its key is read from GET /v1/log/key (DATA/log.vkey), and it is
# restarted with --witness. Ctrl-C stops both.
set -euo pipefail
build=$1 data=$2 listen=$3 wlisten=$4 cot=${5:-}
tansiqd=./$build/tansiqd
tansiq=./$build/tansiq

mkdir -p -m 0700 "$data"
if [ ! -f "$data/witness-us.key" ]; then
	"$tansiq" witness init --key "$data/witness-us.key" --name witness.us.demo/1 | tail -n 1 >"$data/witness-us.vkey"
fi
if [ ! -s "$data/log.vkey" ]; then
	"$tansiqd" --demo --data "$data" --listen "$listen" >"$data/first-start.log" 2>&1 &
	pid=$!
	for _ in $(seq 600); do
		grep -q '^listening on' "$data/first-start.log" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || { cat "$data/first-start.log" >&2; exit 1; }
		sleep 0.1
	done
	grep -q '^listening on' "$data/first-start.log" || { echo "demo.sh: tansiqd did not start" >&2; kill "$pid"; exit 1; }
	python3 - "$data" "$listen" >"$data/log.vkey" <<'PY'
import json, sys, urllib.request
data, listen = sys.argv[1], sys.argv[2]
admin = json.load(open(f"{data}/demo-tokens.json"))["admin"]
req = urllib.request.Request(f"http://{listen}/v1/log/key", headers={"Authorization": f"Bearer {admin}"})
print(json.load(urllib.request.urlopen(req, timeout=30))["vkey"])
PY
	kill -TERM "$pid"
	wait "$pid" || true
fi
"$tansiq" witness --key "$data/witness-us.key" --listen "$wlisten" --log-vkey "$(cat "$data/log.vkey")" &
wpid=$!
trap 'kill -TERM $wpid 2>/dev/null; wait $wpid 2>/dev/null || true' EXIT
wvkey=$(cat "$data/witness-us.vkey")
echo "witness for US on http://$wlisten, vkey $wvkey"
echo "check the cosigned log: TANSIQ_URL=http://$listen TANSIQ_TOKEN=<US token> $tansiq verify --witness $wvkey"
"$tansiqd" --demo --data "$data" --listen "$listen" --witness "http://$wlisten=$wvkey" ${cot:+--cot-listen "$cot"}
