#!/usr/bin/env bash
# bench/cluster — see run.py (writes and checks over 1-3 nodes; --mixed: reads alone and under writes).
# Installs wrk and PostgreSQL (Debian), builds a release tansiqd.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/bench/lib.sh"
bash "$root/scripts/deps.sh" bench >/dev/null
bench_release_tansiqd
exec /usr/bin/python3 "$root/bench/cluster/run.py" "$@"
