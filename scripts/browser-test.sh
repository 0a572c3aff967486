#!/usr/bin/env bash
# Browser tests of the web console: installs what is missing (Debian chromium,
# the npm packages pinned in package-lock.json), starts a real `tansiqd --demo`
# on a free loopback port with a fresh data dir, runs tests/browser/*.test.mjs
# with node's test runner (Playwright's playwright-core driving
# /usr/bin/chromium, headless), stops the server and exits non-zero on failure.
# Screenshots of every step: tests/browser/artifacts/ (gitignored).
#
#   scripts/browser-test.sh [BUILD_DIR]     (default build-test; TANSIQD=... overrides the binary)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build-test}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
tansiqd=${TANSIQD:-$build/tansiqd}
cd "$root"

bash "$root/scripts/deps.sh" browser
if [ ! -x /usr/bin/chromium ]; then
	echo "browser-test: /usr/bin/chromium is missing" >&2
	exit 1
fi
# npm ci when node_modules is missing or older than the lock file (npm keeps
# its own copy of the lock it installed in node_modules/.package-lock.json).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] ||
	[ ! -d node_modules/playwright-core ] || [ ! -d node_modules/leaflet ]; then
	npm ci --no-audit --no-fund
fi
# The map's place names, made from node_modules by npm's postinstall; again if missing.
[ -f web/app/places.json ] || npm run --silent places
if [ ! -x "$tansiqd" ]; then
	echo "browser-test: $tansiqd not built (ninja -C $build)" >&2
	exit 1
fi

work=$(mktemp -d /tmp/tansiq-browser.XXXXXX)
# The server's pid lives in a file: the resume test stops the server and starts
# it again on the same port and data dir, and writes the new pid there.
cleanup() {
	local pid
	pid=$(cat "$work/server.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

port=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
# Leaks are the e2e suite's business; here a leak report at exit must not fail the browser run.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} "$tansiqd" --demo --data "$work/cell" --listen "127.0.0.1:$port" \
	--web "$root/web" >"$work/server.log" 2>&1 &
server_pid=$!
echo "$server_pid" >"$work/server.pid"
for _ in $(seq 1 600); do
	grep -q '^listening on' "$work/server.log" 2>/dev/null && break
	if ! kill -0 "$server_pid" 2>/dev/null; then
		echo "browser-test: tansiqd did not start:" >&2
		cat "$work/server.log" >&2
		exit 1
	fi
	sleep 0.1
done
grep -q '^listening on' "$work/server.log" || { echo "browser-test: tansiqd did not start in 60 s" >&2; exit 1; }

mkdir -p "$root/tests/browser/artifacts"
status=0
TANSIQ_URL="http://127.0.0.1:$port" TANSIQ_DATA="$work/cell" TANSIQ_ARTIFACTS="$root/tests/browser/artifacts" \
	TANSIQD="$tansiqd" TANSIQ_WEB="$root/web" TANSIQ_PIDFILE="$work/server.pid" TANSIQ_LOG="$work/server.log" \
	node --test --test-concurrency=1 --test-timeout=120000 tests/browser/ || status=$?
if [ "$status" -ne 0 ]; then
	echo "browser-test: failed; last lines of the server log:" >&2
	tail -n 30 "$work/server.log" >&2
fi
exit "$status"
