#!/usr/bin/env bash
# bench/engine: the conflict engine against PostgreSQL + PostGIS, same data,
# same queries, same run (see bench_engine.c for what is generated and measured).
#   bench/engine/run.sh [--quick] [--only N] [--queries Q] [--seed S]
# Default N = 10k, 100k and 1M; --quick stops at 100k; --only N runs that N
# alone (e.g. --only 100000: the issue's targets in half the time of --quick). Each N runs the spread
# case (Syria's bbox) and the busy case (a 0.4 x 0.3 degree box), then one
# engine-only run at 100k with 16-vertex volumes for the memory target.
# Installs the "bench" packages (scripts/deps.sh), compiles bench_engine -O2
# against src/core, and starts a throw-away PostgreSQL cluster in a temporary
# directory (owned by the postgres user when run as root), removed at exit.
# BENCH_BUILD (default ./build-bench) holds the binary and the conflict sets.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${BENCH_BUILD:-$root/build-bench}
CC=${CC:-cc}
quick=0 only= queries=10000 seed=1
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	--only) only=$2; shift ;;
	--queries) queries=$2; shift ;;
	--seed) seed=$2; shift ;;
	*) echo "usage: $0 [--quick] [--only N] [--queries Q] [--seed S]" >&2; exit 2 ;;
	esac
	shift
done

bash "$root/scripts/deps.sh" bench
pgbin=/usr/lib/postgresql/15/bin
[ -x "$pgbin/initdb" ] || { echo "run.sh: $pgbin/initdb missing" >&2; exit 1; }

mkdir -p "$out"
# shellcheck disable=SC2046
"$CC" -std=c11 -O2 -DNDEBUG -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Werror \
	-I"$root/src" "$root/bench/engine/bench_engine.c" \
	"$root/src/core/engine.c" "$root/src/core/geo.c" "$root/src/core/subject.c" "$root/src/core/volume.c" \
	"$root/src/core/tqerr.c" "$root/src/core/tqtime.c" \
	$(pkg-config --cflags --libs geos proj jansson libpq) -lm -o "$out/bench_engine"

# --- throw-away cluster ---------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-engine-pg.XXXXXX")
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
	chown postgres: "$tmp"
	as_pg=(runuser -u postgres --)
fi
cleanup() {
	"${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
"${as_pg[@]}" "$pgbin/initdb" -D "$tmp/data" -U postgres -A trust --no-sync -E UTF8 >"$tmp/initdb.log" 2>&1 ||
	{ cat "$tmp/initdb.log" >&2; exit 1; }
# One client, one query at a time, like the engine. Durability off: it is a
# benchmark of queries, not of commits. Enough shared_buffers to hold 1M rows.
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$tmp/data" -l "$tmp/pg.log" -w -o "-k $tmp -p 54329 -c listen_addresses='' \
	-c shared_buffers=2GB -c work_mem=64MB -c maintenance_work_mem=1GB -c fsync=off -c synchronous_commit=off \
	-c full_page_writes=off -c jit=off -c max_wal_size=8GB" start >/dev/null
conninfo="host=$tmp port=54329 user=postgres dbname=postgres"
pgver=$("${as_pg[@]}" "$pgbin/psql" -h "$tmp" -p 54329 -U postgres -Atc "select version()" | cut -d' ' -f1-2)
postgisver=$(dpkg-query -W -f='${Version}' postgresql-15-postgis-3)

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(awk 'NR == 1 {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
echo "versions: $pgver, PostGIS $postgisver, GEOS $(pkg-config --modversion geos), PROJ $(pkg-config --modversion proj)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

sizes=(10000 100000 1000000)
[ "$quick" -eq 1 ] && sizes=(10000 100000)
[ -n "$only" ] && sizes=("$only")
rows="$out/bench-engine-rows.txt"
: >"$rows"
start=$(date +%s)
run() { # N area queries pg_queries [extra args]
	local n=$1 area=$2 q=$3 pgq=$4 t0
	shift 4
	t0=$(date +%s)
	echo
	echo "=== N=$n area=$area queries=$q (PostGIS: $pgq) load average $(cut -d' ' -f1 /proc/loadavg) ==="
	"$out/bench_engine" --n "$n" --area "$area" --queries "$q" --pg-queries "$pgq" --seed "$seed" \
		--out "$out/conflicts-$n-$area.txt" "$@" >"$out/last-run.txt"
	grep -v '^ROW' "$out/last-run.txt"
	grep '^ROW' "$out/last-run.txt" >>"$rows"
	echo "($(( $(date +%s) - t0 )) s)"
}
for n in "${sizes[@]}"; do
	run "$n" spread "$queries" "$queries" --pg "$conninfo"
	# The busy area at 1M has hundreds of conflicts per check: fewer checks.
	if [ "$n" -ge 1000000 ]; then q=$((queries / 10)); else q=$queries; fi
	run "$n" busy "$q" "$q" --pg "$conninfo"
done
echo
echo "=== memory: N=100000, 16-vertex volumes, engine only ==="
"$out/bench_engine" --n 100000 --vertices 16 --queries 0 --seed "$seed" >"$out/last-run.txt"
grep '^engine  N' "$out/last-run.txt"
mem16=$(grep '^ROW' "$out/last-run.txt" | tr ' ' '\n' | sed -n 's/^bytes_per_volume=//p')
elapsed=$(( $(date +%s) - start ))

# --- tables ---------------------------------------------------------------------
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg); benchmark time ${elapsed} s"
table() { awk -v which="$1" '
function v(k,   i, kv) { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] } return "" }
function ratio(a, b) { return b > 0 ? sprintf("%.1fx", a / b) : "-" }
which == "zero" && NR == 1 {
	print "Zero margins (the equality comparison); wall clock, one client; checks/s, p50/p99 in microseconds."
	print "PostGIS: ids only; PG+geom: ids and the overlap as GeoJSON, which the engine returns with every finding."
	printf "%-7s %-6s %9s %9s %6s %9s %6s %15s %17s %17s %9s %s\n", "N", "area", "engine/s", "PostGIS/s", "ratio",
		"PG+geom/s", "ratio", "engine p50/p99", "PostGIS p50/p99", "PG+geom p50/p99", "confl/chk",
		"same conflict sets"
}
which == "zero" {
	same = v("same") == "yes" ? "yes" : sprintf("no (%s of %s differ)", v("diff"), v("pg_q"))
	if (v("same") == "yes") same = sprintf("yes (%s candidates)", v("pg_q"))
	printf "%-7s %-6s %9s %9s %6s %9s %6s %7s/%-7s %8s/%-8s %8s/%-8s %9s %s\n", v("n"), v("area"),
		v("eng_zero_cps"), v("pg_zero_cps"), ratio(v("eng_zero_cps"), v("pg_zero_cps")), v("pg_geom_cps"),
		ratio(v("eng_zero_cps"), v("pg_geom_cps")), v("eng_zero_p50"), v("eng_zero_p99"), v("pg_zero_p50"),
		v("pg_zero_p99"), v("pg_geom_p50"), v("pg_geom_p99"), v("eng_zero_cpc"), same
}
which == "cpu" && NR == 1 {
	print "Per CPU second (engine: its thread; PostGIS: backend + client), and the engine CPU p50/p99 per check:"
	printf "%-7s %-6s %11s %11s %6s %11s %6s %17s | %s\n", "N", "area", "engine/CPUs", "PostGIS", "ratio",
		"PG+geom", "ratio", "engine CPU p50/p99",
		"margins: engine/CPUs, PostGIS/CPUs, ratio, engine CPU p50/p99, sets differ"
}
which == "cpu" {
	printf "%-7s %-6s %11s %11s %6s %11s %6s %8s/%-8s | %s, %s, %s, %s/%s, %s of %s\n", v("n"), v("area"),
		v("eng_zero_cpu_cps"), v("pg_zero_cpu_cps"), ratio(v("eng_zero_cpu_cps"), v("pg_zero_cpu_cps")),
		v("pg_geom_cpu_cps"), ratio(v("eng_zero_cpu_cps"), v("pg_geom_cpu_cps")),
		v("eng_zero_cpu_p50"), v("eng_zero_cpu_p99"), v("eng_margin_cpu_cps"), v("pg_margin_cpu_cps"),
		ratio(v("eng_margin_cpu_cps"), v("pg_margin_cpu_cps")), v("eng_margin_cpu_p50"), v("eng_margin_cpu_p99"),
		v("margin_diff"), v("pg_q")
}
which == "known" && NR == 1 {
	print "Overlaps known (engine_check_some wanting no geometry: a re-check of known conflicts, and what the"
	print "ids-only PostGIS query returns); per CPU second and engine CPU p50/p99 in microseconds:"
	printf "%-7s %-6s %13s %11s %6s %17s | %s\n", "N", "area", "engine/CPUs", "PostGIS", "ratio",
		"engine CPU p50/p99", "margins: engine/CPUs, PostGIS/CPUs, ratio, engine CPU p50/p99"
}
which == "known" {
	printf "%-7s %-6s %13s %11s %6s %8s/%-8s | %s, %s, %s, %s/%s\n", v("n"), v("area"),
		v("eng_known_zero_cpu_cps"), v("pg_zero_cpu_cps"), ratio(v("eng_known_zero_cpu_cps"), v("pg_zero_cpu_cps")),
		v("eng_known_zero_cpu_p50"), v("eng_known_zero_cpu_p99"), v("eng_known_margin_cpu_cps"),
		v("pg_margin_cpu_cps"), ratio(v("eng_known_margin_cpu_cps"), v("pg_margin_cpu_cps")),
		v("eng_known_margin_cpu_p50"), v("eng_known_margin_cpu_p99")
}
which == "load" && NR == 1 {
	print "Loading:"
	printf "%-7s %-6s %9s %14s %11s %13s %13s\n", "N", "area", "vertices", "engine load s", "B/volume",
		"PostGIS COPY", "GiST+ANALYZE"
}
which == "load" {
	printf "%-7s %-6s %9s %14s %11s %12ss %12ss\n", v("n"), v("area"), v("vertices"), v("load_s"),
		v("bytes_per_volume"), v("pg_load_s"), v("pg_index_s")
}' "$rows"; }
table zero
echo
table cpu
echo
table known
echo
table load
echo "memory, 16-vertex volumes at N=100000: ${mem16} B/volume"
echo "targets (reported, not asserted): >= 20x PostGIS checks/s at N=100k; p99 <= 200 us at N=100k; <= 2048 B per 16-vertex volume"
echo "conflict sets: $out/conflicts-<N>-<area>.txt (engine) and .txt.pg (PostGIS); rows: $rows"
