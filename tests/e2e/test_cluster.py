"""Several tansiqd nodes on one PostgreSQL database (api.md, Contract v1.1, "Several nodes on PostgreSQL").

Each test starts three nodes against a fresh database of the session's throw-away cluster
(pgcluster.py): node A initialises the database, B and C get a copy of its server.key.
These tests run in the default (SQLite) pass of the suite and are skipped in the PostgreSQL pass,
which would only run them a second time.
"""
import concurrent.futures as futures
import json
import os
import random
import shutil
import subprocess
import threading
import time

import pytest
import requests

from conftest import PARTIES, STORE, TANSIQ, TRACKS, Cell, Server, pg_cluster, problem

pytestmark = pytest.mark.skipif(STORE == "postgresql", reason="run once, in the default pass")

ACTIVITY = {
    "kind": "air_sortie",
    "geometry": {"type": "Polygon", "coordinates": [[[35.8, 33.0], [36.0, 33.0], [36.0, 33.2], [35.8, 33.2], [35.8, 33.0]]]},
    "altitude": {"min_m": 1000, "max_m": 5000},
    "window": {"start": "2030-01-01T10:00:00Z", "end": "2030-01-01T12:00:00Z"},
}


class Nodes:
    def __init__(self, tmp_path, n=3):
        cluster = pg_cluster()
        self.uri = cluster.uri(cluster.create_db("cluster"))
        self.nodes = []
        for i in range(n):
            s = Server(tmp_path / f"node{i}", store=self.uri)
            if i == 0:
                s.init()
            else:
                os.makedirs(s.data, mode=0o700)
                shutil.copy(os.path.join(self.nodes[0].data, "server.key"), os.path.join(s.data, "server.key"))
                os.chmod(os.path.join(s.data, "server.key"), 0o600)
                s.admin = self.nodes[0].admin
            s.start("--rate-limit", "0")
            self.nodes.append(s)

    def __getitem__(self, i):
        return self.nodes[i]

    def stop(self):
        for s in self.nodes:
            if s.proc is not None:
                s.stop()


@pytest.fixture
def nodes(tmp_path):
    ns = Nodes(tmp_path)
    yield ns
    ns.stop()


@pytest.fixture
def ncell(nodes):
    return Cell(nodes[0])


def test_health_names_the_store_and_a_stable_node(nodes):
    ids = set()
    for s in nodes.nodes:
        h = s.get("/v1/health").json()
        assert h["store"] == "postgresql"
        ids.add(h["node"])
    assert len(ids) == 3
    first = nodes[1].get("/v1/health").json()["node"]
    nodes[1].stop()
    nodes[1].start("--rate-limit", "0")
    assert nodes[1].get("/v1/health").json()["node"] == first


def test_a_write_on_one_node_is_read_at_once_on_another(nodes, ncell):
    for i in range(20):
        a, b = nodes[i % 3], nodes[(i + 1) % 3]
        r = a.post("/v1/tracks/il-sy/messages", ncell["IL"],
                   {"to": "all", "precedence": "routine", "subject": f"m{i}", "body": "x"})
        assert r.status_code == 201, r.text
        mid = r.json()["id"]
        got = b.get(f"/v1/tracks/il-sy/messages/{mid}", ncell["SY"])
        assert got.status_code == 200, got.text
        assert got.json()["subject"] == f"m{i}"
        # the list (an answer the node caches) shows it too
        items = b.get("/v1/tracks/il-sy/messages?limit=1000", ncell["SY"]).json()["items"]
        assert mid in [m["id"] for m in items]
    sizes = {s.get("/v1/health").json()["log_size"] for s in nodes.nodes}
    assert len(sizes) == 1


def test_init_on_an_initialised_database_changes_nothing(nodes, tmp_path):
    before = nodes[0].log_size()
    out = subprocess.run([os.environ.get("TANSIQD", nodes[0].proc.args[0]), "init", "--data", str(tmp_path / "again"),
                          "--store", nodes.uri], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1, out
    assert "already initialised" in out.stderr
    assert nodes[0].log_size() == before


class Stream:
    """An SSE reader in a thread: (index, type, receive time) of each event."""

    def __init__(self, node, token, last_id=None):
        h = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if last_id is not None:
            h["Last-Event-ID"] = str(last_id)
        self.resp = requests.get(node.url + "/v1/events", headers=h, stream=True, timeout=(10, 60))
        assert self.resp.status_code == 200
        self.events = []
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        idx = typ = None
        try:
            # chunk_size=1: the stream is close-delimited, and larger reads wait for that many bytes.
            for line in self.resp.iter_lines(chunk_size=1, decode_unicode=True):
                if line.startswith("id: "):
                    idx = int(line[4:])
                elif line.startswith("event: "):
                    typ = line[7:]
                elif line == "" and idx is not None:
                    with self.lock:
                        self.events.append((idx, typ, time.monotonic()))
                    idx = typ = None
        except Exception:
            pass

    def wait_for(self, index, timeout=20):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                for e in self.events:
                    if e[0] == index:
                        return e
            time.sleep(0.005)
        raise AssertionError(f"event {index} did not arrive within {timeout} s")

    def close(self):
        self.resp.close()


def test_a_stream_on_one_node_gets_another_nodes_events_and_resumes_on_a_third(nodes, ncell):
    stream = Stream(nodes[1], ncell["SY"])
    time.sleep(0.3)  # the stream is live only once connected; nothing to do with deadlines
    latencies, indices = [], []
    for i in range(40):
        t0 = time.monotonic()
        r = nodes[0].post("/v1/tracks/il-sy/messages", ncell["IL"],
                          {"to": "all", "precedence": "routine", "subject": f"s{i}", "body": "x"})
        assert r.status_code == 201
        size = nodes[0].log_size()
        ev = stream.wait_for(size - 1)
        latencies.append(ev[2] - t0)
        indices.append(size - 1)
    stream.close()
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    assert p99 <= 0.25, f"p99 {p99 * 1000:.0f} ms"
    # resume on node C from the middle: every later event once, in order, none before
    mid = indices[19]
    resumed = Stream(nodes[2], ncell["SY"], last_id=mid)
    resumed.wait_for(indices[-1])
    resumed.close()
    got = [e[0] for e in resumed.events]
    seen_before = [e for e in got if e <= mid]
    assert not seen_before
    assert got == sorted(set(got))
    assert set(indices[20:]) <= set(got)


def test_conflicting_declarations_through_two_nodes_at_once_yield_one_conflict(nodes, ncell):
    for i in range(50):
        body = dict(ACTIVITY)
        day = f"2030-02-{(i % 28) + 1:02d}"
        body["window"] = {"start": f"{day}T{i % 20:02d}:00:00Z", "end": f"{day}T{i % 20:02d}:30:00Z"}
        barrier = threading.Barrier(2)

        def send(node, party):
            barrier.wait()
            return node.post("/v1/tracks/il-sy/activities", ncell[party], body)

        with futures.ThreadPoolExecutor(2) as ex:
            fa = ex.submit(send, nodes[0], "IL")
            fb = ex.submit(send, nodes[1], "SY")
            ra, rb = fa.result(), fb.result()
        assert ra.status_code == 201 and rb.status_code == 201, (ra.text, rb.text)
        ids = {ra.json()["id"], rb.json()["id"]}
        conflicts = [c for c in nodes[2].get("/v1/tracks/il-sy/conflicts?limit=1000", ncell["US"]).json()["items"]
                     if c["kind"] == "activity_overlap" and {s["id"] for s in c["subjects"]} == ids]
        assert len(conflicts) == 1, f"round {i}: {len(conflicts)} conflicts"


def test_eight_writers_over_three_nodes_keep_seq_gap_free(nodes, ncell):
    acked = []
    lock = threading.Lock()

    def writer(w):
        node = nodes[w % 3]
        party = ["IL", "SY", "US", "RU"][w % 4]
        for i in range(15):
            r = node.post("/v1/tracks/il-sy/messages", ncell[party],
                          {"to": "all", "precedence": "routine", "subject": f"w{w}-{i}", "body": "x"})
            assert r.status_code == 201, r.text
            with lock:
                acked.append(r.json()["id"])

    with futures.ThreadPoolExecutor(8) as ex:
        for f in [ex.submit(writer, w) for w in range(8)]:
            f.result()
    items = nodes[0].get("/v1/tracks/il-sy/messages?limit=1000", ncell["US"]).json()["items"]
    seqs = [m["seq"] for m in items]
    assert seqs == list(range(1, len(seqs) + 1))
    assert set(acked) <= {m["id"] for m in items}
    assert len(items) == 120


def test_a_deadline_scheduled_on_a_killed_node_fires_once(nodes, ncell):
    r = nodes[0].post("/v1/tracks/il-sy/messages", ncell["IL"],
                      {"to": ["SY"], "precedence": "flash", "subject": "ack me", "body": "x"})
    assert r.status_code == 201
    mid = r.json()["id"]
    assert not r.json().get("escalated")
    nodes[0].kill9()
    # Both survivors' clocks pass the ack deadline (flash: PT5M) at the same moment; each runs its
    # due deadlines at once, so both sweepers try to fire this one.
    with futures.ThreadPoolExecutor(2) as ex:
        for f in [ex.submit(nodes[i].advance, "PT10M") for i in (1, 2)]:
            f.result()
    m = nodes[1].get(f"/v1/tracks/il-sy/messages/{mid}", ncell["US"]).json()
    assert m.get("escalated") is True
    entries = nodes[2].get("/v1/log/entries?from=0", ncell["US"]).json()["items"]
    escalations = [e for e in entries if e["event"]["type"] == "message.escalated" and mid in json.dumps(e["event"])]
    assert len(escalations) == 1


def verify(home, url, token):
    env = dict(os.environ, HOME=str(home), TANSIQ_URL=url, TANSIQ_TOKEN=token)
    return subprocess.run([TANSIQ, "verify"], env=env, capture_output=True, text=True, timeout=300)


def test_sigkill_of_nodes_under_writers_loses_no_acknowledged_write(nodes, ncell, tmp_path):
    acked, lock, stop = [], threading.Lock(), threading.Event()

    def writer(w):
        party = ["IL", "SY", "US", "RU"][w % 4]
        i = 0
        while not stop.is_set():
            node = nodes[(w + i) % 3]
            i += 1
            try:
                r = node.post("/v1/tracks/il-sy/messages", ncell[party],
                              {"to": "all", "precedence": "routine", "subject": f"k{w}-{i}", "body": "x"}, )
            except requests.RequestException:
                continue
            if r.status_code == 201:
                with lock:
                    acked.append(r.json()["id"])

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    home = tmp_path / "home"
    home.mkdir()
    try:
        for cycle in range(10):
            time.sleep(random.uniform(0.2, 0.6))
            victim = nodes[cycle % 3]
            victim.kill9()
            time.sleep(0.2)
            victim.start("--rate-limit", "0")
    finally:
        stop.set()
        for t in threads:
            t.join()
    items = []  # every message, page by page: the writers may write more than one page
    while True:
        after = items[-1]["seq"] if items else 0
        page = nodes[0].get(f"/v1/tracks/il-sy/messages?after_seq={after}&limit=1000", ncell["US"]).json()["items"]
        if not page:
            break
        items += page
    ids = {m["id"] for m in items}
    assert acked and set(acked) <= ids
    seqs = [m["seq"] for m in items]
    assert seqs == list(range(1, len(seqs) + 1))
    # one log: the checkpoints of every node verify against each other
    for s in nodes.nodes:
        out = verify(home, s.url, ncell["US"])
        assert out.returncode == 0, out.stdout + out.stderr


def test_writers_through_a_node_that_just_started_keep_seq_unique_and_get_no_5xx(nodes, ncell):
    """A message's seq is max+1 of the stored ones, read while its batch is built with no transaction open.
    A node answers requests a moment before its follower runs (memory then lags what the other nodes
    committed): a batch built there, with another node committing before its transaction takes the
    write lock, must be built again, not stored with a seq taken already (issue 11: the duplicate seq
    of 0a91080). Writers hammer node 2 while it restarts, and nodes 0 and 1 all along."""
    acked, failed, lock, stop = [], [], threading.Lock(), threading.Event()

    def writer(w):
        i = 0
        while not stop.is_set():
            i += 1
            node = nodes[2] if w < 4 else nodes[w % 2]
            try:
                r = node.post("/v1/tracks/il-sy/messages", ncell[["IL", "SY", "US", "RU"][w % 4]],
                              {"to": "all", "precedence": "routine", "subject": f"r{w}-{i}", "body": "x"})
            except requests.RequestException:
                continue  # node 2 is down for a moment
            with lock:
                if r.status_code == 201:
                    acked.append(r.json()["id"])
                else:
                    failed.append((r.status_code, r.text))

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(7)]
    for t in threads:
        t.start()
    try:
        for _ in range(8):
            time.sleep(random.uniform(0.2, 0.4))
            nodes[2].stop()
            nodes[2].start("--rate-limit", "0")
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not failed, failed[:5]
    items = []
    while True:
        after = items[-1]["seq"] if items else 0
        page = nodes[1].get(f"/v1/tracks/il-sy/messages?after_seq={after}&limit=1000", ncell["US"]).json()["items"]
        if not page:
            break
        items += page
    seqs = [m["seq"] for m in items]
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(acked) > 100 and set(acked) <= {m["id"] for m in items}


def test_database_down_answers_503_then_recovers_without_restart(nodes, ncell):
    cluster = pg_cluster()
    cluster.stop("fast")
    try:
        r = nodes[0].post("/v1/tracks/il-sy/messages", ncell["IL"],
                          {"to": "all", "precedence": "routine", "subject": "down", "body": "x"})
        body = problem(r, 503)
        assert r.headers.get("Retry-After")
        # the store reported the database unreachable: that sentence, not the handler's detail
        assert body["detail"] == "the database is unreachable; retry shortly"
        time.sleep(5)  # the outage the contract describes; not a deadline
        r = nodes[1].get("/v1/tracks/il-sy/messages", ncell["SY"])
        assert problem(r, 503)["detail"] == "the database is unreachable; retry shortly"
    finally:
        cluster.start()
    end = time.monotonic() + 30
    while time.monotonic() < end:
        r = nodes[0].post("/v1/tracks/il-sy/messages", ncell["IL"],
                          {"to": "all", "precedence": "routine", "subject": "back", "body": "x"})
        if r.status_code == 201:
            break
        assert r.status_code == 503, r.text
        time.sleep(0.2)
    else:
        raise AssertionError("node did not recover after the database came back")
    mid = r.json()["id"]
    assert nodes[2].get(f"/v1/tracks/il-sy/messages/{mid}", ncell["SY"]).status_code == 200
    assert all(s.proc.poll() is None for s in nodes.nodes)


def test_sessions_and_idempotency_keys_are_shared_by_the_nodes(nodes, ncell):
    r = nodes[0].post("/v1/users", nodes[0].admin, {"name": "il-duty", "party": "IL", "role": "operator",
                                                    "password": "correct horse battery"})
    assert r.status_code == 201, r.text
    s = requests.Session()
    r = s.post(nodes[0].url + "/v1/session", json={"name": "il-duty", "password": "correct horse battery"}, timeout=30)
    assert r.status_code == 200, r.text
    csrf = r.json()["csrf"]
    # the cookie set by node A works on node B, for reads and (with the CSRF header) writes
    cookie = s.cookies.get("tansiq_session")
    b = requests.Session()
    b.cookies.set("tansiq_session", cookie, domain="127.0.0.1")
    assert b.get(nodes[1].url + "/v1/tracks", timeout=30).status_code == 200
    w = b.post(nodes[1].url + "/v1/tracks/il-sy/messages", headers={"X-CSRF-Token": csrf}, timeout=30,
               json={"to": "all", "precedence": "routine", "subject": "from the console", "body": "x"})
    assert w.status_code == 201, w.text
    # an idempotency key used on node A replays on node C, and another body is a conflict there
    body = {"to": "all", "precedence": "routine", "subject": "once", "body": "x"}
    first = nodes[0].post("/v1/tracks/il-sy/messages", ncell["IL"], body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    again = nodes[2].post("/v1/tracks/il-sy/messages", ncell["IL"], body, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    other = nodes[2].post("/v1/tracks/il-sy/messages", ncell["IL"], dict(body, subject="twice"),
                          headers={"Idempotency-Key": "k-1"})
    problem(other, 409)
    # logging out on node B ends the session on node A too
    out = b.delete(nodes[1].url + "/v1/session", headers={"X-CSRF-Token": csrf}, timeout=30)
    assert out.status_code in (200, 204), out.text
    assert s.get(nodes[0].url + "/v1/tracks", timeout=30).status_code == 401
