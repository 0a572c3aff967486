#!/usr/bin/env bash
# libFuzzer harnesses for every parser of outside input (tests/fuzz/fuzz_<name>.c).
#
#   scripts/fuzz.sh build               compile the harnesses (clang, fuzzer+ASan+UBSan)
#   scripts/fuzz.sh replay              run each harness once over tests/fuzz/corpus/<name>/
#                                       and tests/fuzz/regressions/<name>/; fail on any crash
#   scripts/fuzz.sh run SECONDS_TOTAL   fuzz, splitting the time evenly across the harnesses;
#                                       crashes go to tests/fuzz/crashes/<name>/; fail if any
#   scripts/fuzz.sh run SECONDS_TOTAL NAME...   the same, for some harnesses only
#
# Binaries and the corpus grown while fuzzing live in $FUZZ_BUILD (default
# ./build-fuzz); the committed seed corpora are only read. Each harness is
# compiled directly against the core sources it needs, so a half-edited module
# elsewhere in src/core does not stop the others (fuzz_commands, an in-process
# tansiqd, links all of src/ but main.c and so builds only when the server does).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD:-$root/build-fuzz}
fuzzdir=$root/tests/fuzz
CC=${FUZZ_CC:-clang}

# name → the sources it links (besides tests/fuzz/fuzz_<name>.c): a bare file
# name is in src/core; a word with a slash is a glob under src/; "!x" drops
# src/x from what the globs matched.
declare -A SOURCES=(
	[tqtime]="tqtime.c tqerr.c"
	[settings]="settings.c tqtime.c tqerr.c"
	[note]="note.c tqerr.c"
	[cosig]="cosig.c note.c mlog.c tqerr.c"
	[rrule]="rrule.c tqtime.c tqerr.c"
	[ical]="ical.c rrule.c tqtime.c tqerr.c"
	[geo]="geo.c tqerr.c"
	[subject]="subject.c geo.c tqtime.c tqerr.c"
	[cot]="cot.c tqtime.c tqerr.c"
	# an in-process tansiqd: the whole server but its main()
	[commands]="server/*.c !server/main.c store/*.c core/*.c"
)
NAMES=(tqtime settings note cosig rrule ical geo subject cot commands)

CFLAGS=(-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -Wall -Wextra
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-DTANSIQ_SOURCE_ROOT="\"$root\"" -I"$root/src" -I"$fuzzdir")
# shellcheck disable=SC2207
PKG=($(pkg-config --cflags --libs jansson geos proj libsodium libmicrohttpd sqlite3 libpq libcurl expat gnutls libzip libical)) || exit 1

# A replayed input slower than this fails too: slow inputs are denial-of-service
# findings (the pole points in tests/fuzz/regressions/geo take 1.5-7 s; corpus inputs < 0.1 s).
replay_timeout=${FUZZ_REPLAY_TIMEOUT:-1}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

die() { echo "fuzz.sh: $*" >&2; exit 2; }

build_one() {
	local name=$1 bin=$build/fuzz_$1 srcs=("$fuzzdir/fuzz_$1.c") f g drop=()
	for f in ${SOURCES[$name]}; do
		case $f in
			!*) drop+=("$root/src/${f#!}") ;;
			*/*) for g in "$root"/src/$f; do [ -f "$g" ] && srcs+=("$g"); done ;;
			*) srcs+=("$root/src/core/$f") ;;
		esac
	done
	for g in "${drop[@]}"; do
		for f in "${!srcs[@]}"; do [ "${srcs[$f]}" = "$g" ] && unset "srcs[$f]"; done
	done
	srcs=("${srcs[@]}")
	# Rebuild when any input (or any header beside one) is newer than the binary.
	if [ -x "$bin" ]; then
		local stale=0 hdrs=()
		for f in $(printf '%s\n' "${srcs[@]}" | xargs -n1 dirname | sort -u); do hdrs+=("$f"/*.h); done
		for f in "${srcs[@]}" "${hdrs[@]}"; do
			[ "$f" -nt "$bin" ] && { stale=1; break; }
		done
		[ $stale -eq 0 ] && return 0
	fi
	echo "fuzz.sh: building fuzz_$name"
	"$CC" "${CFLAGS[@]}" "${srcs[@]}" "${PKG[@]}" -lpthread -lm -o "$bin.tmp" && mv "$bin.tmp" "$bin"
}

build_all() {
	command -v "$CC" >/dev/null || die "$CC not found (scripts/deps.sh installs clang)"
	mkdir -p "$build" || exit 1
	local status=0 name
	for name in "$@"; do build_one "$name" || { echo "fuzz.sh: fuzz_$name does not build" >&2; status=1; }; done
	return $status
}

files_in() { [ -d "$1" ] && find "$1" -maxdepth 1 -type f ! -name '.*' | sort; }

# Runs every corpus and regression input once. Regressions one at a time, so
# that each failing input is named.
replay() {
	local status=0 name f
	for name in "$@"; do
		mapfile -t corpus < <(files_in "$fuzzdir/corpus/$name")
		mapfile -t regr < <(files_in "$fuzzdir/regressions/$name")
		local bad=0
		if [ ${#corpus[@]} -gt 0 ]; then
			if ! "$build/fuzz_$name" -runs=1 -timeout="$replay_timeout" "${corpus[@]}" >"$build/replay_$name.log" 2>&1; then
				echo "FAIL fuzz_$name: $(grep '^Running:' "$build/replay_$name.log" | tail -n1 | sed "s|^Running: $root/||") crashes"
				grep -m3 -E 'ERROR|FUZZ_CHECK|runtime error|timeout' "$build/replay_$name.log" | sed 's/^/    /'
				bad=1
				status=1
			fi
		fi
		for f in "${regr[@]}"; do
			if ! "$build/fuzz_$name" -runs=1 -timeout="$replay_timeout" "$f" >"$build/replay_$name.regr.log" 2>&1; then
				echo "FAIL fuzz_$name: regression ${f#"$root"/}"
				grep -m3 -E 'ERROR|FUZZ_CHECK|runtime error|timeout' "$build/replay_$name.regr.log" | sed 's/^/    /'
				bad=1
				status=1
			fi
		done
		[ $bad -eq 0 ] && echo "ok   fuzz_$name: ${#corpus[@]} corpus + ${#regr[@]} regression inputs"
	done
	return $status
}

run() {
	local total=$1; shift
	local per=$(( total / $# )); [ $per -lt 1 ] && per=1
	local status=0 name
	for name in "$@"; do
		local work=$build/corpus/$name crashes=$fuzzdir/crashes/$name dict=()
		mkdir -p "$work" "$crashes"
		[ -f "$fuzzdir/$name.dict" ] && dict=(-dict="$fuzzdir/$name.dict")
		# The grown corpus goes to $work (first directory); the seeds are read only.
		if "$build/fuzz_$name" -max_total_time="$per" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
			-print_final_stats=0 -artifact_prefix="$crashes/" "${dict[@]}" \
			"$work" "$fuzzdir/corpus/$name" >"$build/run_$name.log" 2>&1; then
			echo "ok   fuzz_$name: $(grep -Eo '^#[0-9]+' "$build/run_$name.log" | tail -n1 | tr -d '#') execs in ${per}s"
		else
			echo "FAIL fuzz_$name: crash saved in ${crashes#"$root"/}/; log $build/run_$name.log"
			grep -m3 -E 'ERROR|FUZZ_CHECK|runtime error' "$build/run_$name.log" | sed 's/^/    /'
			status=1
		fi
		rmdir "$crashes" 2>/dev/null
	done
	return $status
}

cmd=${1:-}; shift || true
case "$cmd" in
	build)
		names=("${@:-${NAMES[@]}}")
		build_all "${names[@]}" ;;
	replay)
		names=("${@:-${NAMES[@]}}")
		build_all "${names[@]}" || exit 1
		replay "${names[@]}" ;;
	run)
		[[ ${1:-} =~ ^[0-9]+$ ]] || die "usage: fuzz.sh run SECONDS_TOTAL [NAME...]"
		secs=$1; shift
		names=("${@:-${NAMES[@]}}")
		build_all "${names[@]}" || exit 1
		run "$secs" "${names[@]}" ;;
	*) die "usage: fuzz.sh build | replay [NAME...] | run SECONDS_TOTAL [NAME...]" ;;
esac
