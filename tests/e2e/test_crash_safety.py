"""Crash safety: concurrent writers while tansiqd is killed with SIGKILL at random moments, 20 times.

Every write that got a 2xx must be there afterwards, the hotline's seq must stay gap-free, and the
log must still verify: every stored leaf hashes to its stored leaf hash, the Merkle root recomputed
from the leaves (RFC 9162 MTH, written here independently) equals the root of the checkpoint the
restarted server signs, and that signature verifies with the server's published key.
"""
import base64
import hashlib
import os
import random
import sqlite3
import threading
import time

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from conftest import PARTIES, Server

CYCLES = 20
SENDERS = ["IL", "SY", "RU", "US"]


def mth(leaves):
    """RFC 9162 §2.1.1, straight from the definition."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def verify_checkpoint(note, vkey):
    body, sig_line = note.split("\n\n")
    name, keyid_hex, key_b64 = vkey.split("+", 2)
    raw = base64.b64decode(key_b64)
    assert raw[0] == 1
    sig = base64.b64decode(sig_line.strip().split(" ")[2])
    assert sig[:4].hex() == keyid_hex
    Ed25519PublicKey.from_public_bytes(raw[1:]).verify(sig[4:], (body + "\n").encode())
    origin, size, root = body.split("\n")[:3]
    assert origin == name
    return int(size), base64.b64decode(root)


@pytest.mark.sqlite_only  # reads the SQLite file; the PostgreSQL case is in test_cluster.py
def test_acknowledged_writes_survive_sigkill(tmp_path):
    s = Server(tmp_path / "d")
    s.init()
    s.start("--rate-limit", "0")
    tok = {}
    for pid, name in PARTIES.items():
        assert s.post("/v1/parties", s.admin, {"id": pid, "name": name}).status_code == 201
        tok[pid] = s.post("/v1/users", s.admin, {"name": pid.lower(), "party": pid, "role": "operator"}).json()["token"]
    r = s.post("/v1/tracks", s.admin, {"id": "il-sy", "name": "x", "members": [
        {"party": "IL", "role": "principal"}, {"party": "SY", "role": "principal"},
        {"party": "US", "role": "supervisor"}, {"party": "RU", "role": "mediator"}]})
    assert r.status_code == 201
    acked_messages, acked_parties = {}, []
    lock = threading.Lock()
    rng = random.Random(20261125)

    def sender(party, stop):
        n = 0
        while not stop.is_set():
            n += 1
            try:
                r = requests.post(f"{s.url}/v1/tracks/il-sy/messages",
                                  headers={"Authorization": f"Bearer {tok[party]}"}, timeout=5,
                                  json={"to": "all", "precedence": "routine", "subject": f"{party}-{n}", "body": "x"})
            except requests.RequestException:
                continue
            if 200 <= r.status_code < 300:
                with lock:
                    acked_messages[r.json()["id"]] = r.json()["seq"]

    def admin_writer(cycle, stop):
        n = 0
        while not stop.is_set():
            n += 1
            pid = f"C{cycle:02d}{n:03d}"[:8]
            try:
                r = requests.post(f"{s.url}/v1/parties", headers={"Authorization": f"Bearer {s.admin}"},
                                  json={"id": pid, "name": pid}, timeout=5)
            except requests.RequestException:
                continue
            if r.status_code == 201:
                with lock:
                    acked_parties.append(pid)

    for cycle in range(CYCLES):
        if s.proc is None:
            s.start("--rate-limit", "0")
        stop = threading.Event()
        threads = [threading.Thread(target=sender, args=(p, stop)) for p in SENDERS]
        threads.append(threading.Thread(target=admin_writer, args=(cycle, stop)))
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.2, 1.2))
        s.kill9()
        stop.set()
        for t in threads:
            t.join()

    s.start("--rate-limit", "0")
    try:
        assert len(acked_messages) > CYCLES, "the writers hardly wrote: the test proves nothing"
        # Every acknowledged write is there.
        seen, after = {}, 0
        while True:
            page = s.get(f"/v1/tracks/il-sy/messages?after_seq={after}&limit=1000", tok["RU"]).json()
            for m in page["items"]:
                seen[m["id"]] = m["seq"]
            if not page["items"]:
                break
            after = page["items"][-1]["seq"]
        missing = [m for m in acked_messages if m not in seen]
        assert not missing, f"{len(missing)} acknowledged messages lost"
        assert all(seen[m] == q for m, q in acked_messages.items())
        # seq is gap-free.
        assert sorted(seen.values()) == list(range(1, len(seen) + 1))
        for pid in acked_parties:
            assert s.get(f"/v1/parties/{pid}", s.admin).status_code == 200, pid
        # The log verifies against a signed checkpoint.
        note = s.get("/v1/log/checkpoint", s.admin).text
        vkey = s.get("/v1/log/key", s.admin).json()["vkey"]
        size, root = verify_checkpoint(note, vkey)
    finally:
        s.stop()
    db = sqlite3.connect(os.path.join(s.data, "tansiq.db"))
    rows = db.execute("SELECT idx, leaf, leaf_hash FROM events ORDER BY idx").fetchall()
    db.close()
    assert [r[0] for r in rows] == list(range(len(rows)))
    assert len(rows) == size
    for idx, leaf, h in rows:
        assert hashlib.sha256(b"\x00" + leaf).digest() == h, f"leaf hash of entry {idx}"
    assert mth([r[1] for r in rows]) == root
