"""Reads off the write path (issue 12): a GET runs in a read snapshot of its own (SQLite: a WAL read
connection; PostgreSQL: a read connection of the pool in a REPEATABLE READ, READ ONLY transaction),
never behind the writers' lock or a writer's commit.

- while a write transaction is held open (test hook: the writers' lock taken, half a change
  written and not committed), readers still answer — message lists, log entries, checkpoint,
  track — and see none of the uncommitted rows (ordering, not wall-clock speed: the hold is
  released only after the reads answered, and the hook says it was still held then);
- read-your-writes: once a write is answered, the same client's next reads (answer cache
  included) show it;
A GET that needs the conflict engines (a zone with its conflicts, features.geojson) runs again
under the lock: test_zones, test_conflicts and test_export cover those answers.

It runs on either store (TANSIQ_STORE=postgresql: the held transaction also holds the cell-wide
advisory lock). Several nodes: test_cluster.py::test_a_write_on_one_node_is_read_at_once_on_another
(the answer cache of a node that has not followed the other node's commit yet).
"""
import concurrent.futures as futures
import threading

import pytest

from conftest import STORE, Cell, Server, pg_cluster
from test_cluster import Nodes
from test_group_commit import all_messages, log_entries, post_message, setup_cell
from test_zones import activity_body, box

TRACK = "il-sy"
# More waiting writers than the server has threads for requests (4): each waits on its own
# write worker, never on a thread that serves reads.
WAITING_WRITERS = 8
# Write-then-read rounds across two nodes: each one races the reading node's follower.
ROUNDS = 40


def read_all(s, tok):
    """What a reader sees: message ids of the track, the log's entries and size, the checkpoint."""
    msgs = all_messages(s, tok, TRACK)
    entries, size = log_entries(s, tok)
    ck = s.get("/v1/log/checkpoint", tok)
    assert ck.status_code == 200, ck.text
    tr = s.get(f"/v1/tracks/{TRACK}", tok)
    assert tr.status_code == 200, tr.text
    return msgs, entries, size, ck.text


def test_readers_answer_and_see_nothing_of_a_held_write_transaction(tmp_path):
    s = Server(tmp_path / "d")
    s.init()
    s.start("--rate-limit", "0")
    try:
        tok = setup_cell(s)
        first = post_message(s, tok["IL"], TRACK, "first")
        assert first.status_code == 201, first.text
        before = read_all(s, tok["RU"])  # also fills the answer cache at this log version

        h = s.post("/v1/test/hold-write", s.admin, {"track": TRACK})
        assert h.status_code == 200, h.text
        held = h.json()["id"]
        done, answers, lock = threading.Event(), [], threading.Lock()

        def write():
            try:
                r = post_message(s, tok["SY"], TRACK, "during", timeout=90)
                with lock:
                    answers.append(r)
            finally:
                done.set()

        writers = [threading.Thread(target=write) for _ in range(WAITING_WRITERS)]
        released = None
        try:
            for w in writers:
                w.start()
            # Readers answer while the transaction is held and writers queue behind it (a read
            # behind the writers' lock, or on a server thread a waiting writer holds, would wait
            # for the release and time out here), and see only committed state.
            for _ in range(3):
                during = read_all(s, tok["RU"])
                assert during == before, "a reader saw a change that was never committed"
                assert held not in during[0]
                assert not any(e["event"]["payload"].get("id") == held for e in during[1])
            assert not done.is_set(), "a writer was answered while the write transaction was held"
        finally:
            released = s.post("/v1/test/release-write", s.admin, {})
            for w in writers:
                w.join(90)
        assert released.status_code == 200, released.text
        assert released.json()["released"] is True, "the held transaction ran out before the reads answered"
        assert len(answers) == WAITING_WRITERS
        assert all(r.status_code == 201 for r in answers), [r.text for r in answers]
        mine = answers[-1].json()

        # Read-your-writes: the next reads of the writer's client show the message (the cached
        # list of the old version is not served), and nothing of the rolled-back transaction.
        msgs, entries, size, _ = read_all(s, tok["SY"])
        assert mine["id"] in msgs and held not in msgs
        assert msgs[mine["id"]] == mine["seq"]
        assert sorted(msgs.values()) == list(range(1, WAITING_WRITERS + 2)), "seq not gap-free"
        created = [e["event"]["payload"]["id"] for e in entries if e["event"]["type"] == "message.created"]
        assert mine["id"] in created and held not in created
        assert size == before[2] + WAITING_WRITERS
        ru = all_messages(s, tok["RU"], TRACK)
        assert set(ru) == set(msgs)
    finally:
        s.stop()



@pytest.mark.skipif(STORE == "postgresql", reason="uses the cluster directly; run once, in the default pass")
def test_a_node_behind_another_nodes_commit_serves_no_cached_answer_older_than_it(tmp_path):
    """Two nodes on one PostgreSQL database. Node B answers a list (and caches it), node A writes,
    node B is asked again at once: B's memory may not have followed A's commit yet, but its answer
    must show the write (api.md: after a 2xx from one node, a read from any node shows it). The
    snapshot's own log size is the answer cache's version there, never B's memory."""
    nodes = Nodes(tmp_path, n=2)
    try:
        a, b = nodes[0], nodes[1]
        tok = setup_cell(a)
        assert post_message(a, tok["IL"], TRACK, "first").status_code == 201
        path = f"/v1/tracks/{TRACK}/messages?limit=1000"
        for i in range(ROUNDS):
            before = b.get(path, tok["SY"])  # cached at B under the version it read
            assert before.status_code == 200, before.text
            r = post_message(a, tok["IL"], TRACK, f"m{i}")
            assert r.status_code == 201, r.text
            after = b.get(path, tok["SY"])
            assert after.status_code == 200, after.text
            assert r.json()["id"] in [m["id"] for m in after.json()["items"]], f"round {i}: stale answer from B"
    finally:
        nodes.stop()


@pytest.mark.skipif(STORE == "postgresql", reason="uses the cluster directly; run once, in the default pass")
def test_reads_right_after_a_database_restart_answer_without_a_503(tmp_path):
    """The read connections kept for the next snapshots all die with a database restart: a reader
    that finds one dead before its snapshot began takes another or a new one, so no GET fails for
    it (a connection that failed is closed, never lent again). The writers' lock is held meanwhile
    (hold-write), so a read that fell back to the lock would wait, not answer."""
    nodes = Nodes(tmp_path, n=1)
    try:
        s = nodes[0]
        tok = setup_cell(s)
        assert post_message(s, tok["IL"], TRACK, "first").status_code == 201
        path = f"/v1/tracks/{TRACK}/messages?limit=1000"
        with futures.ThreadPoolExecutor(4) as ex:  # several read connections in the pool
            assert all(r.status_code == 200 for r in ex.map(lambda _: s.get(path, tok["SY"]), range(16)))
        h = s.post("/v1/test/hold-write", s.admin, {"track": TRACK})
        assert h.status_code == 200, h.text
        cluster = pg_cluster()
        try:
            cluster.stop("fast")
            cluster.start()
            for _ in range(8):
                r = s.get(path, tok["SY"])
                assert r.status_code == 200, r.text
                assert len(r.json()["items"]) == 1
        finally:
            released = s.post("/v1/test/release-write", s.admin, {})
        assert released.status_code == 200, released.text
        assert s.get(path, tok["SY"]).status_code == 200
    finally:
        nodes.stop()


@pytest.mark.skipif(STORE == "postgresql", reason="uses the cluster directly; run once, in the default pass")
def test_a_check_on_a_node_behind_another_nodes_declaration_finds_the_conflict(tmp_path):
    """A dry-run check reads the conflict engine, which is memory: on a node whose memory has not
    followed another node's commit yet (its snapshot has), the check runs again under the lock
    (which catches up first), so a declaration answered by node A is a conflict for a check on B."""
    nodes = Nodes(tmp_path, n=2)
    try:
        a, b = nodes[0], nodes[1]
        cell = Cell(a)
        for i in range(ROUNDS // 2):
            place = box(35.0 + i * 0.2, 32.0, 35.01 + i * 0.2, 32.01)  # far apart: one conflict each
            warm = b.post(f"/v1/tracks/{TRACK}/check", cell["SY"], dict(activity_body("uav", geometry=place), type="activity"))
            assert warm.status_code == 200 and warm.json()["conflicts"] == [], warm.text
            d = a.post(f"/v1/tracks/{TRACK}/activities", cell["IL"], activity_body(geometry=place))
            assert d.status_code == 201, d.text
            r = b.post(f"/v1/tracks/{TRACK}/check", cell["SY"], dict(activity_body("uav", geometry=place), type="activity"))
            assert r.status_code == 200, r.text
            found = [x["id"] for c in r.json()["conflicts"] for x in c["subjects"]]
            assert d.json()["id"] in found, f"round {i}: the check on B missed A's declaration"
    finally:
        nodes.stop()
