#!/usr/bin/env bash
# bench/cluster — see run.py (writes and checks over 1-3 nodes; --mixed: reads alone and under writes).
# Installs wrk and PostgreSQL (Debian), builds a release tansiqd.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bash "$root/scripts/deps.sh" bench >/dev/null
[ -f "$root/build-release/build.ninja" ] || meson setup "$root/build-release" "$root" --buildtype=release >/dev/null
ninja -C "$root/build-release" tansiqd >/dev/null
exec /usr/bin/python3 "$root/bench/cluster/run.py" "$@"
