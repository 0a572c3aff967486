#!/usr/bin/env python3
"""bench/hotline — durable hotline writes/s and p99 latency with 1 and 16 clients, each write its
own commit (`--group-commit 1`, before) beside group commit (the default, after), on the embedded
SQLite store and on PostgreSQL 15, in the same run.

    python3 bench/hotline/run.py [--duration S] [--tansiqd PATH] [--no-postgresql]

One tansiqd per row (release build, demo cell, `--rate-limit 0`), wrk (Debian) with
bench/cluster/message.lua: every write counted was answered 201, i.e. committed and durable
(SQLite WAL synchronous=FULL; PostgreSQL fsync on, synchronous_commit on). Then the stored
messages are counted and the seq checked gap-free.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "bench", "cluster"))
from run import start  # noqa: E402  (bench/cluster/run.py)


def wrk(url, token, duration, conns):
    env = dict(os.environ, TQ_TOKEN=token)
    threads = 1 if conns < 8 else 2
    p = subprocess.run(["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--latency", "-s",
                        os.path.join(ROOT, "bench/cluster/message.lua"), url + "/v1/tracks/il-sy/messages"],
                       env=env, capture_output=True, text=True)
    m = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
    rate = float(m.group(1)) if m else 0.0
    m = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", p.stdout)
    p99 = float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)] if m else float("nan")
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", p.stdout)
    errors = p.stderr.count("status ") + (int(m.group(1)) if m else 0)
    return rate, p99, errors


def seq_check(url, token):
    seqs, after = [], 0
    while True:
        req = urllib.request.Request(f"{url}/v1/tracks/il-sy/messages?after_seq={after}&limit=1000",
                                     headers={"Authorization": f"Bearer {token}"})
        items = json.load(urllib.request.urlopen(req))["items"]
        if not items:
            break
        seqs += [m["seq"] for m in items]
        after = items[-1]["seq"]
    return seqs == list(range(1, len(seqs) + 1))


def row(label, tansiqd, work, store, group, conns, duration):
    data = os.path.join(tempfile.mkdtemp(prefix=f"{label}-{group}-{conns}-", dir=work), "d")
    log = open(data + ".stderr", "w+")
    p, url = start(tansiqd, data, store, demo=True, extra=["--group-commit", str(group)], stderr=log)
    token = json.load(open(os.path.join(data, "demo-tokens.json")))["IL"]
    try:
        rate, p99, errors = wrk(url, token, duration, conns)
        ok = seq_check(url, token)
    finally:
        p.terminate()
        p.wait()
    log.seek(0)
    m = re.search(r"(\d+) writes in (\d+) transactions", log.read())
    per_tx = int(m.group(1)) / max(1, int(m.group(2))) if m else float("nan")
    mode = "one commit per write" if group == 1 else f"group commit (≤{group})"
    print(f"{label:<11} {mode:<22} {conns:>7}  {rate:>10.0f} {p99:>9.1f} {errors:>6}  {per_tx:>9.2f} "
          f"{'yes' if ok else 'NO':>7}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--tansiqd", default=os.path.join(ROOT, "build-release", "tansiqd"))
    ap.add_argument("--no-postgresql", action="store_true")
    ap.add_argument("--order", type=lambda v: [int(x) for x in v.split(",")], default=[1, 64, 64, 1],
                    help="--group-commit values per row, in order (default 1,64,64,1: each twice, alternated)")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tansiq-bench-hotline-")
    os.chmod(work, 0o755)
    cluster = None
    try:
        print(f"bench/hotline: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, wrk -d{args.duration}s per row, "
              f"message.lua (201 = durable)")
        print(f"{'store':<11} {'mode':<22} {'clients':>7}  {'writes/s':>10} {'p99 ms':>9} {'errs':>6}  {'writes/tx':>9} {'seq ok':>7}")
        stores = [("sqlite", None)]
        if not args.no_postgresql:
            from pgcluster import PgCluster
            cluster = PgCluster(fsync=True)
            stores.append(("postgresql", cluster))
        for label, c in stores:
            for conns in (1, 16):
                for group in args.order:
                    store = c.uri(c.create_db(f"h{group}x{conns}")) if c else None
                    row(label, args.tansiqd, work, store, group, conns, args.duration)
        print(f"load after: {os.getloadavg()[0]:.1f}")
    finally:
        if cluster:
            cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
