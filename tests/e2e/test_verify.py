"""`tansiq verify` against a real tansiqd: it passes on an honest log, and it fails (exit 5,
naming the check) when the log is tampered with in the store, or when a lying server (a proxy
in front of the real one) changes what it sends."""
import base64
import hashlib
import json
import os
import sqlite3
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from conftest import TANSIQ, free_port

EXIT_VERIFY = 5


def cli_env(home, url, token):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "TANSIQ_"))}
    env.update(HOME=str(home), TANSIQ_URL=url, TANSIQ_TOKEN=token)
    return env


def verify(home, url, token, *extra):
    return subprocess.run([TANSIQ, "verify", *extra], env=cli_env(home, url, token), capture_output=True,
                          text=True, timeout=120)


def state_dir(home, url):
    host_port = url.split("://", 1)[1].replace(":", "_")
    return home / ".local" / "state" / "tansiq" / host_port


def some_writes(server, cell, n=3):
    """Admin writes that IL may see: track setting changes and new parties."""
    for i in range(n):
        r = server.call("PATCH", "/v1/tracks/il-sy", cell.admin, json_body={"settings": {"separation_m": 1000 + i}})
        assert r.status_code == 200, r.text
    for i in range(n):
        r = server.post("/v1/parties", cell.admin, {"id": f"X{server.log_size()}", "name": "extra"})
        assert r.status_code == 201, r.text


def visible_to(audience, party):
    return audience == "*" or f",{party}," in audience


def db(server):
    return sqlite3.connect(os.path.join(server.data, "tansiq.db"))


def il_entries(server, cell):
    r = server.get("/v1/log/entries?limit=1000", cell["IL"])
    assert r.status_code == 200
    return r.json()["items"]


@pytest.fixture
def home(tmp_path):
    h = tmp_path / "home"
    h.mkdir()
    return h


def test_verify_passes_on_an_honest_log_and_checks_consistency_on_the_second_run(cell, server, home):
    some_writes(server, cell)
    first = verify(home, server.url, cell["IL"])
    assert first.returncode == 0, first.stdout + first.stderr
    assert "OK:   key: pinned on first use" in first.stdout
    assert "OK:   signature" in first.stdout
    assert "no checkpoint saved before" in first.stdout
    assert "FAIL" not in first.stdout
    size1 = server.log_size()
    sd = state_dir(home, server.url)
    assert (sd / "vkey").read_text().strip() == server.get("/v1/log/key", cell["IL"]).json()["vkey"]
    assert (sd / "checkpoints" / str(size1)).read_text() == server.get("/v1/log/checkpoint", cell["IL"]).text

    some_writes(server, cell)
    second = verify(home, server.url, cell["IL"])
    assert second.returncode == 0, second.stdout + second.stderr
    assert "OK:   key: matches the pinned key" in second.stdout
    assert f"OK:   consistency: 1 saved checkpoint (sizes {size1}..{size1}) is a prefix" in second.stdout
    n = len(il_entries(server, cell))
    assert f"OK:   inclusion: {n} entries are in the tree of size {server.log_size()}" in second.stdout
    assert sorted(os.listdir(sd / "checkpoints")) == sorted([str(size1), str(server.log_size())])


def test_verify_json_reports_every_check(cell, server, home):
    some_writes(server, cell, 1)
    out = verify(home, server.url, cell["IL"], "--json")
    assert out.returncode == 0, out.stderr
    rep = json.loads(out.stdout)
    assert rep["ok"] is True
    assert rep["size"] == server.log_size()
    assert rep["entries"] == len(il_entries(server, cell))
    assert [c["check"] for c in rep["checks"]] == ["key", "signature", "checkpoint", "leaf hash", "inclusion",
                                                  "consistency"]
    assert all(c["ok"] for c in rep["checks"])


def test_verify_pages_through_more_than_one_page_of_entries(cell, server, home):
    # The CLI asks for 1000 per page; the proxy asks the server for 2, so the CLI must follow "next".
    some_writes(server, cell, 2)
    with LyingProxy(server.url, page_limit=2) as proxy:
        out = verify(home, proxy.url, cell["IL"])
    assert out.returncode == 0, out.stdout + out.stderr
    n = len(il_entries(server, cell))
    assert n > 4
    assert f"OK:   inclusion: {n} entries" in out.stdout
    pages = [p for p in proxy.paths if p.startswith("/v1/log/entries")]
    assert len(pages) >= n // 2
    assert all(f"to={server.log_size()}" in p for p in pages)


def test_changed_key_fails_loudly(cell, server, home):
    assert verify(home, server.url, cell["IL"]).returncode == 0
    vkey_file = state_dir(home, server.url) / "vkey"
    name, keyid, key = vkey_file.read_text().strip().split("+", 2)
    vkey_file.write_text(f"{name}+{'0' * 8}+{key}\n")
    out = verify(home, server.url, cell["IL"])
    assert out.returncode == EXIT_VERIFY
    assert "FAIL: key changed" in out.stdout
    assert "signature" not in out.stdout  # nothing is checked with an unpinned key


@pytest.mark.sqlite_only  # tampers with the SQLite file
def test_leaf_changed_in_the_store_fails_the_leaf_hash(cell, server, home):
    some_writes(server, cell)
    assert verify(home, server.url, cell["IL"]).returncode == 0
    server.stop()
    with db(server) as c:
        idx, leaf = c.execute("SELECT idx, leaf FROM events WHERE audience='*' ORDER BY idx DESC LIMIT 1").fetchone()
        c.execute("UPDATE events SET leaf=? WHERE idx=?", (flip_salt(leaf), idx))
    server.start()
    out = verify(home, server.url, cell["IL"])
    assert out.returncode == EXIT_VERIFY, out.stdout + out.stderr
    assert f"FAIL: leaf hash of entry {idx}" in out.stdout
    assert "verification FAILED" in out.stdout


@pytest.mark.sqlite_only  # tampers with the SQLite file
def test_leaf_changed_with_its_stored_hash_fails_inclusion_only(cell, server, home):
    some_writes(server, cell)
    assert verify(home, server.url, cell["IL"]).returncode == 0
    size = server.log_size()
    server.stop()
    with db(server) as c:
        idx, leaf = c.execute("SELECT idx, leaf FROM events WHERE audience='*' ORDER BY idx LIMIT 1 OFFSET 1").fetchone()
        new = flip_salt(leaf)
        c.execute("UPDATE events SET leaf=?, leaf_hash=? WHERE idx=?", (new, hashlib.sha256(b"\0" + new).digest(), idx))
    server.start()
    out = verify(home, server.url, cell["IL"])
    assert out.returncode == EXIT_VERIFY, out.stdout + out.stderr
    assert f"FAIL: inclusion of entry {idx}" in out.stdout
    assert "FAIL: leaf hash" not in out.stdout and "FAIL: event" not in out.stdout
    assert "OK:   leaf hash" in out.stdout
    # Nothing was saved from the failed run.
    assert os.listdir(state_dir(home, server.url) / "checkpoints") == [str(size)]


def drop_from(server, k):
    """Removes events k.. and every tree node covering them, as a rewriting operator would."""
    with db(server) as c:
        c.execute("DELETE FROM events WHERE idx >= ?", (k,))
        c.execute("DELETE FROM log_node WHERE ((idx + 1) << level) > ?", (k,))


@pytest.mark.sqlite_only  # tampers with the SQLite file
def test_dropped_and_rewritten_tail_fails_consistency(cell, server, home):
    some_writes(server, cell)
    assert verify(home, server.url, cell["IL"]).returncode == 0
    size1 = server.log_size()
    server.stop()
    drop_from(server, size1 - 3)
    server.start()
    assert server.log_size() == size1 - 3
    some_writes(server, cell)  # 6 new events: the log is longer than before, with another history
    size2 = server.log_size()
    assert size2 > size1
    out = verify(home, server.url, cell["IL"])
    assert out.returncode == EXIT_VERIFY, out.stdout + out.stderr
    assert f"FAIL: consistency {size1} -> {size2}" in out.stdout
    # The entries themselves are consistent with the new (rewritten) tree.
    assert "OK:   inclusion" in out.stdout


@pytest.mark.sqlite_only  # tampers with the SQLite file
def test_dropped_tail_fails_as_a_shrunken_log(cell, server, home):
    some_writes(server, cell)
    assert verify(home, server.url, cell["IL"]).returncode == 0
    size1 = server.log_size()
    server.stop()
    drop_from(server, size1 - 5)
    server.start()
    r = server.post("/v1/parties", cell.admin, {"id": "NEW1", "name": "after the rewrite"})
    assert r.status_code == 201
    size2 = server.log_size()
    assert size2 == size1 - 4
    out = verify(home, server.url, cell["IL"])
    assert out.returncode == EXIT_VERIFY, out.stdout + out.stderr
    assert "FAIL: log shrank" in out.stdout
    assert f"size {size1}, the server's now has {size2}" in out.stdout


@pytest.mark.sqlite_only  # tampers with the SQLite file
def test_tampered_tree_node_fails_inclusion_of_the_sibling(cell, server, home):
    some_writes(server, cell)
    assert verify(home, server.url, cell["IL"]).returncode == 0
    server.stop()
    with db(server) as c:
        rows = c.execute("SELECT idx, audience FROM events ORDER BY idx").fetchall()
        size = len(rows)
        # A leaf j whose sibling j^1 exists and is visible to IL: j's node is in the sibling's proof.
        j = next(i for i, _ in rows if (i ^ 1) < size and visible_to(rows[i ^ 1][1], "IL") and i % 2 == 0)
        c.execute("UPDATE log_node SET hash=? WHERE level=0 AND idx=?", (b"\x42" * 32, j))
    server.start()
    out = verify(home, server.url, cell["IL"])
    assert out.returncode == EXIT_VERIFY, out.stdout + out.stderr
    assert f"FAIL: inclusion of entry {j ^ 1}" in out.stdout


@pytest.mark.sqlite_only  # tampers with the SQLite file
def test_tampered_top_node_fails_consistency(cell, server, home):
    some_writes(server, cell)
    assert verify(home, server.url, cell["IL"]).returncode == 0
    size1 = server.log_size()
    server.stop()
    with db(server) as c:
        # The largest perfect subtree at the left edge is one of the root's children.
        level = max(lv for (lv,) in c.execute("SELECT level FROM log_node WHERE idx=0"))
        c.execute("UPDATE log_node SET hash=? WHERE level=? AND idx=0", (b"\x17" * 32, level))
    server.start()
    r = server.post("/v1/parties", cell.admin, {"id": "NEW2", "name": "later"})
    assert r.status_code == 201
    out = verify(home, server.url, cell["IL"])
    assert out.returncode == EXIT_VERIFY, out.stdout + out.stderr
    assert f"FAIL: consistency {size1} -> {size1 + 1}" in out.stdout


def flip_salt(leaf):
    """Changes one hex digit of the leaf's salt: still valid JSON, another leaf."""
    text = leaf.decode()
    at = text.index('"salt":"') + len('"salt":"')
    digit = "0" if text[at] != "0" else "1"
    return (text[:at] + digit + text[at + 1:]).encode()


# ---- a lying server: a proxy that changes the real server's answers ----

class LyingProxy:
    """Forwards GETs to the real server; mutate(path, body_bytes) -> body_bytes may change answers.
    page_limit rewrites ?limit= of entry listings to test paging."""

    def __init__(self, upstream, mutate=lambda path, body: body, page_limit=None):
        self.upstream = upstream
        self.mutate = mutate
        self.page_limit = page_limit
        self.paths = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                path = self.path
                proxy.paths.append(path)
                if proxy.page_limit and path.startswith("/v1/log/entries"):
                    path = path.replace("limit=1000", f"limit={proxy.page_limit}")
                r = requests.get(proxy.upstream + path, headers={"Authorization": self.headers.get("Authorization", "")},
                                 timeout=30)
                body = r.content
                if r.status_code == 200:
                    body = proxy.mutate(path, body)
                self.send_response(r.status_code)
                self.send_header("Content-Type", r.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def lie(server, cell, home, mutate):
    """Runs verify once through an honest proxy (pinning the key, saving a checkpoint), adds
    writes, then runs it again through the same proxy (same state dir) now applying mutate."""
    with LyingProxy(server.url) as proxy:
        first = verify(home, proxy.url, cell["IL"])
        assert first.returncode == 0, first.stdout + first.stderr
        some_writes(server, cell)
        proxy.mutate = mutate
        return verify(home, proxy.url, cell["IL"])


def test_checkpoint_with_a_changed_root_fails_the_signature(cell, server, home):
    def change_root(path, body):
        if path == "/v1/log/checkpoint":
            lines = body.decode().split("\n")
            root = bytearray(base64.b64decode(lines[2]))
            root[0] ^= 1
            lines[2] = base64.b64encode(bytes(root)).decode()
            return "\n".join(lines).encode()
        return body

    out = lie(server, cell, home, change_root)
    assert out.returncode == EXIT_VERIFY
    assert "FAIL: signature" in out.stdout
    assert "leaf hash" not in out.stdout  # nothing is used from an unverified checkpoint


def test_event_that_differs_from_its_leaf_data_fails(cell, server, home):
    def change_event(path, body):
        if path.startswith("/v1/log/entries"):
            j = json.loads(body)
            j["items"][0]["event"]["type"] = "forged"
            return json.dumps(j).encode()
        return body

    out = lie(server, cell, home, change_event)
    assert out.returncode == EXIT_VERIFY
    first = il_entries(server, cell)[0]["index"]
    assert f"FAIL: event of entry {first}" in out.stdout


@pytest.mark.parametrize("mutation", ["flip_bit", "drop_last", "index_plus_1"])
def test_mutated_inclusion_proofs_fail(cell, server, home, mutation):
    def mutate(path, body):
        if path.startswith("/v1/log/proof/inclusion"):
            j = json.loads(body)
            if mutation == "flip_bit" and j["hashes"]:
                h = bytearray(base64.b64decode(j["hashes"][0]))
                h[31] ^= 0x80
                j["hashes"][0] = base64.b64encode(bytes(h)).decode()
            elif mutation == "drop_last":
                j["hashes"] = j["hashes"][:-1]
            return json.dumps(j).encode()
        if mutation == "index_plus_1" and path.startswith("/v1/log/entries"):
            # Entries claimed at another index than the one their proof is for.
            j = json.loads(body)
            for it in j["items"]:
                it["index"] += 1
            return json.dumps(j).encode()
        return body

    out = lie(server, cell, home, mutate)
    assert out.returncode == EXIT_VERIFY, out.stdout + out.stderr
    assert "FAIL: inclusion of entry" in out.stdout


def test_mutated_consistency_proof_fails(cell, server, home):
    def mutate(path, body):
        if path.startswith("/v1/log/proof/consistency"):
            j = json.loads(body)
            h = bytearray(base64.b64decode(j["hashes"][-1]))
            h[0] ^= 1
            j["hashes"][-1] = base64.b64encode(bytes(h)).decode()
            return json.dumps(j).encode()
        return body

    out = lie(server, cell, home, mutate)
    assert out.returncode == EXIT_VERIFY
    assert "FAIL: consistency" in out.stdout


def test_a_repeated_page_cursor_is_refused(cell, server, home):
    def mutate(path, body):
        if path.startswith("/v1/log/entries"):
            j = json.loads(body)
            j["next"] = "0"
            return json.dumps(j).encode()
        return body

    out = lie(server, cell, home, mutate)
    assert out.returncode == EXIT_VERIFY
    assert "FAIL: entries" in out.stdout


def test_verify_without_a_server_exits_4(home):
    out = verify(home, f"http://127.0.0.1:{free_port()}", "tq_x")
    assert out.returncode == 4
    assert "error: network" in out.stderr


def test_verify_rejects_arguments_and_has_help(home, server):
    out = verify(home, server.url, "tq_x", "--bogus")
    assert out.returncode == 2
    out = verify(home, server.url, "tq_x", "--help")
    assert out.returncode == 0 and "consistency" in out.stdout and "checkpoints/<size>" in out.stdout


def test_event_is_exactly_the_parsed_leaf_also_for_computed_overlap_geometry(server, cell):
    """Numbers in answers round-trip: an overlap computed by the engine (coordinates needing all 17
    significant digits) shows in `event` as the very doubles hashed in `leaf_data`."""
    from test_zones import activity_body, create, point
    # A circle against a corridor: the overlap's vertices are computed, not copied from the input.
    create(server, cell["IL"], "il-sy", "activities",
           activity_body(geometry=point(35.8123456789, 33.1234567891), radius_m=3000))
    b = create(server, cell["SY"], "il-sy", "activities",
               activity_body(geometry={"type": "LineString", "coordinates": [[35.79, 33.10], [35.84, 33.15]]},
                             width_m=1500))
    assert b["conflicts"], "the two activities overlap"
    items = il_entries(server, cell)
    opened = [e for e in items if e["event"]["type"] == "conflict.opened"]
    assert opened, "the conflict's event is visible to IL"
    leaf = json.loads(base64.b64decode(opened[0]["leaf_data"]))
    ring = leaf["payload"]["overlap"]["geometry"]["coordinates"][0]
    # At least one computed coordinate needs more than 15 significant digits: the case that broke.
    digits = [len(repr(abs(c)).replace(".", "").lstrip("0")) for p in ring for c in p]
    assert max(digits) > 15, ring
    for e in items:
        leaf = base64.b64decode(e["leaf_data"])
        assert e["event"] == json.loads(leaf), f"entry {e['index']}: event is not the parsed leaf"


def test_verify_passes_against_the_demo(tmp_path, home):
    """`tansiq verify` with each party's token exits 0 on a freshly seeded demo cell."""
    from conftest import Server
    srv = Server(tmp_path / "demo")
    try:
        srv.start("--demo")
        tokens = json.load(open(os.path.join(srv.data, "demo-tokens.json")))
        for party in ("IL", "SY", "US", "AZ"):
            out = verify(home / party, srv.url, tokens[party])
            assert out.returncode == 0, f"{party}: " + out.stdout + out.stderr
            assert "FAIL" not in out.stdout
    finally:
        srv.stop()
