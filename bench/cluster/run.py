#!/usr/bin/env python3
"""bench/cluster — durable hotline writes/s and conflict checks/s with 1, 2 and 3 tansiqd nodes on
one PostgreSQL 15, beside the embedded SQLite single node, in the same run.

    python3 bench/cluster/run.py [--duration S] [--connections N] [--tansiqd PATH]
    python3 bench/cluster/run.py --mixed [--duration S] [--connections N] [--read-path P] [--tansiqd PATH]

A throw-away PostgreSQL cluster (tests/e2e/pgcluster.py, here with fsync ON: the figures are for
durable writes), a fresh database per row, the demo cell seeded through node 1 (`--demo`), then
wrk (Debian) with bench/cluster/{message,check}.lua spread evenly over the nodes; each row sums the
nodes' rates. Every write counted was answered 201, i.e. committed.

--mixed (issue 12, reads off the write path, on PostgreSQL): one node, GET --read-path alone, then the
same reads while as many connections post durable hotline messages (message.lua) as fast as they are
answered, in the same run against the same node; the ratio reads under writes / reads alone (target
>= 0.8). Run it with --tansiqd of two builds to compare them (bench/http/mixed.sh is the SQLite twin).
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from pgcluster import PgCluster  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(tansiqd, data, store, demo, extra=(), stderr=subprocess.DEVNULL):
    port = free_port()
    args = [tansiqd, "--data", data, "--listen", f"127.0.0.1:{port}", "--rate-limit", "0", *extra]
    if store:
        args += ["--store", store]
    if demo:
        args.append("--demo")
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, text=True)
    for line in p.stdout:
        if line.startswith("listening on"):
            return p, f"http://127.0.0.1:{port}"
    raise RuntimeError(f"tansiqd did not start ({args})")


def wrk(urls, script, path, token, duration, conns):
    return wrk_collect(wrk_start(urls, script, path, token, duration, conns))


def wrk_start(urls, script, path, token, duration, conns):
    per = max(1, conns // len(urls))
    env = dict(os.environ, TQ_TOKEN=token)
    return [subprocess.Popen(["wrk", "-t1", f"-c{per}", f"-d{duration}s", "--latency", "-s", script, u + path],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for u in urls]


def wrk_collect(procs):
    total, p99s, errors = 0.0, [], 0
    for p in procs:
        out, err = p.communicate()
        m = re.search(r"Requests/sec:\s+([\d.]+)", out)
        total += float(m.group(1)) if m else 0
        m = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out)
        if m:
            v = float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)]
            p99s.append(v)
        errors += err.count("status ")
        m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        errors += int(m.group(1)) if m else 0
    return total, max(p99s) if p99s else float("nan"), errors


def row(label, tansiqd, work, store, nodes, args):
    procs, urls = [], []
    tag = f"{label.split()[0]}-{nodes}"
    first = os.path.join(work, f"{tag}-n0")
    p, u = start(tansiqd, first, store, demo=True)
    procs.append(p)
    urls.append(u)
    for i in range(1, nodes):
        d = os.path.join(work, f"{tag}-n{i}")
        os.makedirs(d, mode=0o700)
        shutil.copy(os.path.join(first, "server.key"), os.path.join(d, "server.key"))
        os.chmod(os.path.join(d, "server.key"), 0o600)
        p, u = start(tansiqd, d, store, demo=False)
        procs.append(p)
        urls.append(u)
    token = json.load(open(os.path.join(first, "demo-tokens.json")))["IL"]
    try:
        w = wrk(urls, os.path.join(ROOT, "bench/cluster/message.lua"), "/v1/tracks/il-sy/messages", token,
                args.duration, args.connections)
        c = wrk(urls, os.path.join(ROOT, "bench/cluster/check.lua"), "/v1/tracks/il-sy/check", token,
                args.duration, args.connections)
    finally:
        for p in procs:
            p.terminate()
            p.wait()
    print(f"{label:<22} {nodes:>5}  {w[0]:>10.0f} {w[1]:>9.1f} {w[2]:>6}  {c[0]:>10.0f} {c[1]:>9.1f} {c[2]:>6}",
          flush=True)
    return w[0], c[0]


def mixed(args, work, store):
    """Reads alone, then reads under a full write load, on one node (run.py --mixed)."""
    data = os.path.join(work, "mixed")
    p, url = start(args.tansiqd, data, store, demo=True)
    token = json.load(open(os.path.join(data, "demo-tokens.json")))["IL"]
    read, message = (os.path.join(ROOT, "bench/cluster", f) for f in ("read.lua", "message.lua"))
    try:
        alone = wrk([url], read, args.read_path, token, args.duration, args.connections)
        # The writers start first and outlast the readers by a second on each side.
        writers = wrk_start([url], message, "/v1/tracks/il-sy/messages", token, args.duration + 2, args.connections)
        time.sleep(1)
        under = wrk([url], read, args.read_path, token, args.duration, args.connections)
        writes = wrk_collect(writers)
    finally:
        p.terminate()
        p.wait()
    for label, (rate, p99, errs) in (("reads alone", alone), ("reads under writes", under),
                                     ("writes under reads", writes)):
        print(f"{label:<22} {rate:>10.0f} req/s  p99 {p99:>7.1f} ms  errs {errs}", flush=True)
    print(f"ratio reads under writes / reads alone: {under[0] / alone[0]:.2f} (target >= 0.8)", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--tansiqd", default=os.path.join(ROOT, "build-release", "tansiqd"))
    ap.add_argument("--mixed", action="store_true", help="reads alone and under writes, one node")
    ap.add_argument("--read-path", default="/v1/tracks/il-sy/conflicts?limit=10")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tansiq-bench-cluster-")
    os.chmod(work, 0o755)
    cluster = PgCluster(fsync=True)
    try:
        if args.mixed:
            print(f"bench/cluster --mixed: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
                  f"{args.tansiqd}, GET {args.read_path}, wrk -c{args.connections} -d{args.duration}s, "
                  "PostgreSQL fsync on", flush=True)
            mixed(args, work, cluster.uri(cluster.create_db("mixed")))
            print(f"load after: {os.getloadavg()[0]:.1f}")
            return
        print(f"bench/cluster: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, wrk -c{args.connections} "
              f"-d{args.duration}s per row, PostgreSQL fsync on, synchronous_commit on")
        print(f"{'store':<22} {'nodes':>5}  {'writes/s':>10} {'p99 ms':>9} {'errs':>6}  {'checks/s':>10} {'p99 ms':>9} {'errs':>6}")
        row("sqlite (embedded)", args.tansiqd, work, None, 1, args)
        for n in (1, 2, 3):
            row("postgresql", args.tansiqd, work, cluster.uri(cluster.create_db("bench")), n, args)
    finally:
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
