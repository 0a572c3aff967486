"""Group commit: what batching several writers into one transaction (one fsync) could break.

- kill -9 while 16 writers share transactions: no write answered 2xx is lost, and nothing a
  reader was shown (a message in a list, an event in the log) is lost either — a reader never
  sees a shared transaction that is not committed yet;
- the hotline's seq stays gap-free under 16 concurrent writers and follows commit order: the log
  holds the tracks' messages in seq order, each 2xx answer's seq is the stored one;
- a reader during a write load sees one consistent state: a message list taken between two log
  reads shows every message whose event was in the first and none whose event is not in the second;
- a write refused inside a shared transaction (4xx) leaves the others of that transaction intact.

Every test runs on both stores (TANSIQ_STORE=postgresql runs them on PostgreSQL).
"""
import threading
import time
from datetime import datetime

import requests

from conftest import PARTIES, Server

WRITERS = 16
TRACK_MEMBERS = [{"party": "IL", "role": "principal"}, {"party": "SY", "role": "principal"},
                 {"party": "US", "role": "supervisor"}, {"party": "RU", "role": "mediator"}]
SENDERS = ["IL", "SY", "RU", "US"]
TRACKS = ["il-sy", "sy-il"]


def setup_cell(s):
    tok = {}
    for pid, name in PARTIES.items():
        assert s.post("/v1/parties", s.admin, {"id": pid, "name": name}).status_code == 201
        tok[pid] = s.post("/v1/users", s.admin, {"name": pid.lower(), "party": pid, "role": "operator"}).json()["token"]
    for t in TRACKS:
        r = s.post("/v1/tracks", s.admin, {"id": t, "name": t, "members": TRACK_MEMBERS})
        assert r.status_code == 201, r.text
    return tok


def post_message(s, token, track, subject, timeout=10):
    return requests.post(f"{s.url}/v1/tracks/{track}/messages", headers={"Authorization": f"Bearer {token}"},
                         timeout=timeout, json={"to": "all", "precedence": "routine", "subject": subject, "body": "x"})


def all_messages(s, token, track):
    seen, after = {}, 0
    while True:
        page = s.get(f"/v1/tracks/{track}/messages?after_seq={after}&limit=1000", token).json()
        for m in page["items"]:
            seen[m["id"]] = m["seq"]
        if not page["items"]:
            return seen
        after = page["items"][-1]["seq"]


def log_entries(s, token, start=0):
    """Every log entry visible to token from index start, and the log size of the last page."""
    items, frm, size = [], start, None
    while True:
        page = s.get(f"/v1/log/entries?from={frm}&limit=1000", token).json()
        items += page["items"]
        size = page["size"]
        if not page.get("next"):
            return items, size
        frm = int(page["next"])


def writers(s, tok, n, stop, acked, lock, per_writer=None):
    """n threads posting messages until stop is set (or per_writer each); 2xx answers go to acked."""
    def run(i):
        party, track, k = SENDERS[i % len(SENDERS)], TRACKS[i % len(TRACKS)], 0
        while not stop.is_set() and (per_writer is None or k < per_writer):
            k += 1
            try:
                r = post_message(s, tok[party], track, f"w{i}-{k}")
            except requests.RequestException:
                continue
            if 200 <= r.status_code < 300:
                m = r.json()
                with lock:
                    acked[m["id"]] = (m["track"], m["seq"])
    return [threading.Thread(target=run, args=(i,)) for i in range(n)]


def test_sigkill_during_shared_transactions_loses_no_acknowledged_or_shown_write(tmp_path):
    s = Server(tmp_path / "d")
    s.init()
    s.start("--rate-limit", "0")
    tok = setup_cell(s)
    acked, shown, shown_events = {}, set(), {}
    lock = threading.Lock()

    def reader(stop):
        # What a reader is shown must be durable: list messages and log entries while writes run.
        while not stop.is_set():
            try:
                for t in TRACKS:
                    r = requests.get(f"{s.url}/v1/tracks/{t}/messages?limit=1000&after_seq=0",
                                     headers={"Authorization": f"Bearer {tok['RU']}"}, timeout=5)
                    if r.status_code == 200:
                        with lock:
                            shown.update(m["id"] for m in r.json()["items"])
                r = requests.get(f"{s.url}/v1/log/entries?from=0&limit=1000",
                                 headers={"Authorization": f"Bearer {tok['RU']}"}, timeout=5)
                if r.status_code == 200:
                    with lock:
                        for e in r.json()["items"]:
                            shown_events[e["index"]] = e["leaf_hash"]
            except requests.RequestException:
                continue

    cycles = 6
    for cycle in range(cycles):
        if s.proc is None:
            s.start("--rate-limit", "0")
        stop = threading.Event()
        threads = writers(s, tok, WRITERS, stop, acked, lock) + [threading.Thread(target=reader, args=(stop,))]
        for t in threads:
            t.start()
        # Kill once a fair number of writes were answered in this cycle (not on a wall-clock guess).
        target = len(acked) + 40 + 15 * cycle
        deadline = time.time() + 60
        while len(acked) < target:
            assert time.time() < deadline, f"writers stalled at {len(acked)} acknowledged writes"
            time.sleep(0.01)
        s.kill9()
        stop.set()
        for t in threads:
            t.join()

    s.start("--rate-limit", "0")
    try:
        assert len(acked) >= 40 * cycles
        for track in TRACKS:
            seen = all_messages(s, tok["RU"], track)
            mine = {m: q for m, (t, q) in acked.items() if t == track}
            missing = [m for m in mine if m not in seen]
            assert not missing, f"{len(missing)} acknowledged messages lost in {track}"
            assert all(seen[m] == q for m, q in mine.items()), "an acknowledged seq changed"
            assert sorted(seen.values()) == list(range(1, len(seen) + 1)), f"seq has gaps in {track}"
        every = set()
        for track in TRACKS:
            every |= set(all_messages(s, tok["RU"], track))
        lost_shown = shown - every
        assert not lost_shown, f"{len(lost_shown)} messages shown to a reader were lost: a reader saw uncommitted writes"
        entries, size = log_entries(s, tok["RU"])  # RU mediates both tracks: sees their events
        assert len(entries) > len(acked)
        by_index = {e["index"]: e["leaf_hash"] for e in entries}
        lost_events = [i for i, h in shown_events.items() if by_index.get(i) != h]
        assert not lost_events, f"log entries shown to a reader changed or vanished: {lost_events[:5]}"
    finally:
        s.stop()


def test_seq_gap_free_and_in_commit_order_under_16_writers(tmp_path):
    s = Server(tmp_path / "d")
    s.init()
    s.start("--rate-limit", "0")
    try:
        tok = setup_cell(s)
        acked, lock, stop = {}, threading.Lock(), threading.Event()
        threads = writers(s, tok, WRITERS, stop, acked, lock, per_writer=25)
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(acked) == WRITERS * 25, "a write was refused"
        entries, size = log_entries(s, tok["RU"])
        order = {t: [] for t in TRACKS}
        for e in entries:
            if e["event"]["type"] == "message.created":
                order[e["event"]["track"]].append((e["event"]["payload"]["id"], e["event"]["payload"]["seq"]))
        for track in TRACKS:
            seen = all_messages(s, tok["RU"], track)
            mine = {m: q for m, (t, q) in acked.items() if t == track}
            assert seen == mine, f"{track}: the stored messages are not the acknowledged ones"
            # gap-free, and the log (commit order) holds them in seq order
            assert [q for _, q in order[track]] == list(range(1, len(mine) + 1)), f"{track}: seq not in log order"
            assert all(mine[m] == q for m, q in order[track])
            # times follow commit order too
            items = s.get(f"/v1/tracks/{track}/messages?after_seq=0&limit=1000", tok["RU"]).json()["items"]
            assert [m["seq"] for m in items] == sorted(mine.values())
            times = [datetime.fromisoformat(m["created_at"].replace("Z", "+00:00")) for m in items]
            assert times == sorted(times), f"{track}: times not in seq (commit) order"
    finally:
        s.stop()


def test_reader_during_writes_sees_one_consistent_state(tmp_path):
    s = Server(tmp_path / "d")
    s.init()
    s.start("--rate-limit", "0")
    try:
        tok = setup_cell(s)
        acked, lock, stop = {}, threading.Lock(), threading.Event()
        start = s.log_size()  # the tracks have no message yet
        threads = writers(s, tok, WRITERS, stop, acked, lock)
        for t in threads:
            t.start()
        checks, rounds, deadline = 0, 0, time.time() + 200
        try:
            while checks < 5:
                assert time.time() < deadline, f"only {checks} of {rounds} rounds overlapped the writes"
                rounds += 1
                before, size1 = log_entries(s, tok["RU"], start)
                listed = set()
                for t in TRACKS:
                    listed |= set(all_messages(s, tok["RU"], t))
                after, size2 = log_entries(s, tok["RU"], start)
                assert size1 <= size2
                assert all(start <= e["index"] < size1 for e in before)
                ev1 = {e["event"]["payload"]["id"] for e in before if e["event"]["type"] == "message.created"}
                ev2 = {e["event"]["payload"]["id"] for e in after if e["event"]["type"] == "message.created"}
                assert ev1 <= listed, "a message whose event was in the log is missing from a later list"
                assert listed <= ev2, "a list showed a message whose event is not in the log"
                if size1 < size2 and ev1 != listed:
                    checks += 1  # the list was taken while writes were committing
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert acked
    finally:
        s.stop()


def test_refused_write_inside_a_shared_transaction_leaves_the_others(tmp_path):
    s = Server(tmp_path / "d")
    s.init()
    s.start("--rate-limit", "0")
    try:
        tok = setup_cell(s)
        acked, refused, lock = {}, [], threading.Lock()

        def bad(i):
            # A refusal that reaches the handler, in the shared transaction: TR is not in il-sy.
            for k in range(20):
                r = requests.post(f"{s.url}/v1/tracks/il-sy/messages", headers={"Authorization": f"Bearer {tok['TR']}"},
                                  timeout=10, json={"to": "all", "precedence": "routine", "subject": "no", "body": "x"})
                with lock:
                    refused.append(r.status_code)
        stop = threading.Event()
        threads = writers(s, tok, 8, stop, acked, lock, per_writer=20) + \
            [threading.Thread(target=bad, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(acked) == 8 * 20
        assert refused and all(400 <= c < 500 for c in refused), set(refused)
        for track in TRACKS:
            seen = all_messages(s, tok["RU"], track)
            mine = {m: q for m, (t, q) in acked.items() if t == track}
            assert seen == mine
            assert sorted(seen.values()) == list(range(1, len(seen) + 1))
    finally:
        s.stop()
