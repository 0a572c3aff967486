#!/usr/bin/env bash
# bench/log: builds bench_log (-O2, the real store and core) and runs it.
#   bench/log/run.sh [N [BATCH [SINGLE [PROOFS [DIR]]]]]   defaults 1000000 1000 2000 1000 $TMPDIR
# BENCH_BUILD (default ./build-bench) holds the binary. The store is created in
# a temporary directory under DIR and deleted afterwards (about 0.5 GB at 1M).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${BENCH_BUILD:-$root/build-bench}
CC=${CC:-cc}
mkdir -p "$out"
# shellcheck disable=SC2046
"$CC" -std=c11 -O2 -DNDEBUG -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-I"$root/src" "$root/bench/log/bench_log.c" "$root/src/store/store.c" "$root/src/store/sqlite.c" \
	"$root/src/store/postgres.c" "$root/src/core/mlog.c" "$root/src/core/tqerr.c" "$root/src/core/tqtime.c" \
	$(pkg-config --cflags --libs sqlite3 jansson libsodium libpq) -lm -o "$out/bench_log"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), sqlite $(pkg-config --modversion sqlite3)"
exec "$out/bench_log" "$@"
