"""A damaged store does not start (api.md operations contract: exit 2 when the store is corrupt):
the integrity check's answer is read, and the message names the file."""
import os
import subprocess

import pytest

from conftest import TANSIQD, free_port

PAGE = 4096


def stopped_store_with_content(server, cell):
    for i in range(40):
        r = server.post("/v1/tracks/il-sy/messages", cell["IL"],
                        {"to": "all", "precedence": "routine", "subject": f"s{i}", "body": "x" * 2000})
        assert r.status_code == 201, r.text
    server.stop()
    db = os.path.join(server.data, "tansiq.db")
    assert not os.path.exists(db + "-wal") or os.path.getsize(db + "-wal") == 0, "a clean stop checkpoints"
    return db


def start(server):
    return subprocess.run([TANSIQD, "--data", server.data, "--listen", f"127.0.0.1:{free_port()}"],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.sqlite_only  # damages the SQLite file
def test_store_with_damaged_pages_exits_2_naming_the_file(server, cell):
    db = stopped_store_with_content(server, cell)
    size = os.path.getsize(db)
    assert size >= 20 * PAGE
    with open(db, "r+b") as f:   # three pages in the middle (message bodies), far from the header
        for page in range(size // PAGE // 2, size // PAGE // 2 + 3):
            f.seek(page * PAGE)
            f.write(bytes((page * 37 + i) % 251 for i in range(PAGE)))
    out = start(server)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "listening on" not in out.stdout
    assert db in out.stderr and "corrupt" in out.stderr, out.stderr


@pytest.mark.sqlite_only
def test_intact_store_still_starts(server, cell):
    stopped_store_with_content(server, cell)
    server.start()
    assert server.get("/v1/health").json()["status"] == "ok"
