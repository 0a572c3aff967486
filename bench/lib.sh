# bench/lib.sh — what the bench scripts share, sourced after they set $root:
#   bench_release_tansiqd [DIR]  builds tansiqd in DIR (default $root/build-release, a release build)
#   bench_workdir                $work: a throw-away directory, removed at exit after the server the
#                                script started ($tq_pid) and bench_on_exit (if the script defines it)
#   free_port, wait_port PORT    a free loopback port; wait (10 s at most) until PORT accepts
#   bench_start_demo BIN         BIN --demo on a free port in $work (--rate-limit 0): sets $port, $tq_pid,
#                                $url and $token (the IL operator's)
bench_release_tansiqd() {
	local dir=${1:-$root/build-release}
	[ -f "$dir/build.ninja" ] || meson setup "$dir" "$root" --buildtype=release >/dev/null
	ninja -C "$dir" tansiqd >/dev/null
}

bench_cleanup() {
	[ -n "${tq_pid:-}" ] && kill "$tq_pid" 2>/dev/null || true
	declare -F bench_on_exit >/dev/null && bench_on_exit
	wait 2>/dev/null || true
	rm -rf "$work"
}

bench_workdir() {
	work=$(mktemp -d)
	trap bench_cleanup EXIT
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

bench_start_demo() {
	port=$(free_port)
	"$1" --demo --data "$work/data" --listen "127.0.0.1:$port" --rate-limit 0 >"$work/tq.out" 2>&1 &
	tq_pid=$!
	wait_port "$port"
	sleep 1
	token=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['IL'])" "$work/data/demo-tokens.json")
	url="http://127.0.0.1:$port"
}
