#!/usr/bin/env bash
# Runs every test layer against the sanitizer build in $1 and fails if any fails.
# Each runner prints its own summary; the last line totals them.
set -uo pipefail
build=${1:-build-test}
root=$(cd "$(dirname "$0")/.." && pwd)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0

echo "== unit tests (cmocka, ASan+UBSan)"
meson test -C "$root/$build" --print-errorlogs || status=1

echo "== fuzz harnesses: corpus and regression replay, then 60 s of fuzzing"
bash "$root/scripts/fuzz.sh" replay || status=1
bash "$root/scripts/fuzz.sh" run 60 || status=1

echo "== end-to-end tests (pytest against a real tansiqd)"
TANSIQD="$root/$build/tansiqd" TANSIQ="$root/$build/tansiq" \
	/usr/bin/python3 -m pytest -q -p no:cacheprovider "$root/tests/e2e" || status=1

echo "== end-to-end tests again on PostgreSQL (a throw-away cluster: initdb/pg_ctl, unix socket only)"
TANSIQ_STORE=postgresql TANSIQD="$root/$build/tansiqd" TANSIQ="$root/$build/tansiq" \
	/usr/bin/python3 -m pytest -q -p no:cacheprovider "$root/tests/e2e" || status=1

echo "== browser tests (playwright-core + Debian chromium against a real tansiqd)"
bash "$root/scripts/browser-test.sh" "$build" || status=1

exit $status
