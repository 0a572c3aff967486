"""Fixtures for end-to-end tests: a real tansiqd on a free port with a fresh data dir.

`server` starts one tansiqd per test and stops it afterwards, failing the test if
it did not stop cleanly (exit code 0; under ASan that also means no leaks).
`cell` adds the demo's parties, one operator per party, and its three tracks,
built through the API.

Time: servers start with `--test-hooks`, so a test moves the server's clock instead of
sleeping: `server.advance("PT10M")` returns once every deadline that became due has fired.
The offset survives `server.stop()`/`server.start()` (passed as `--clock-offset`).
`Server.start(..., test_hooks=False)` starts a server as production runs it.

With TANSIQ_STORE=postgresql the whole suite runs against PostgreSQL: one
throw-away cluster for the session (pgcluster.py) and a fresh database per
server (`tansiqd init/serve --store postgresql://…`). Tests about the SQLite
file itself are marked `sqlite_only` and skipped there.
"""
import json
import os
import re
import signal
import socket
import subprocess
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TANSIQD = os.environ.get("TANSIQD", os.path.join(ROOT, "build-test", "tansiqd"))
TANSIQ = os.environ.get("TANSIQ", os.path.join(os.path.dirname(TANSIQD), "tansiq"))
STORE = os.environ.get("TANSIQ_STORE", "sqlite")
_pg = None


def pg_cluster():
    """The session's PostgreSQL cluster, started on first use."""
    global _pg
    if _pg is None:
        from pgcluster import PgCluster
        _pg = PgCluster()
    return _pg


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: the test is about the embedded SQLite store")


def pytest_collection_modifyitems(config, items):
    if STORE != "postgresql":
        return
    skip = pytest.mark.skip(reason="about the SQLite store; this run is on PostgreSQL")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)


def pytest_sessionfinish(session, exitstatus):
    if _pg is not None:
        _pg.destroy()

PARTIES = {"IL": "Israel", "SY": "Syria", "TR": "Türkiye", "RU": "Russia", "US": "United States", "AZ": "Azerbaijan"}
TRACKS = {
    "il-sy": [("IL", "principal"), ("SY", "principal"), ("US", "supervisor"), ("RU", "mediator")],
    "tr-il": [("TR", "principal"), ("IL", "principal"), ("AZ", "host")],
    "ru-il": [("RU", "principal"), ("IL", "principal")],
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One tansiqd process and the client calls tests make against it."""

    def __init__(self, data_dir, store=None):
        self.data = str(data_dir)
        # --store for init and start: a fresh database per server in a PostgreSQL run
        if store is None and STORE == "postgresql":
            cluster = pg_cluster()
            store = cluster.uri(cluster.create_db())
        self.store = store
        self.store_args = ["--store", store] if store else []
        self.proc = None
        self.port = None
        self.admin = None
        self.clock_offset = "PT0S"
        self.log = open(os.path.join(os.path.dirname(self.data), "tansiqd.stderr"), "ab")

    def init(self):
        out = subprocess.run([TANSIQD, "init", "--data", self.data, *self.store_args], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        self.admin = out.stdout.strip().splitlines()[-1]
        return out

    def start(self, *extra, port=None, test_hooks=True):
        self.port = port or self.port or free_port()
        hooks = ["--test-hooks", "--clock-offset", self.clock_offset] if test_hooks else []
        self.proc = subprocess.Popen(
            [TANSIQD, "--data", self.data, *self.store_args, "--listen", f"127.0.0.1:{self.port}", *hooks,
             *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        deadline = time.time() + 60
        lines = []
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("listening on "):
                self.banner = "".join(lines)
                return self
        raise AssertionError(f"tansiqd did not start: {''.join(lines)} exit={self.proc.poll()}")

    def stop(self, expect_clean=True):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc = None
        if expect_clean:
            assert code == 0, f"tansiqd exited with {code}; see {self.log.name}"

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def call(self, method, path, token=None, json_body=None, headers=None, data=None, **kw):
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.url + path, json=json_body, data=data, headers=h, timeout=30, **kw)

    def get(self, path, token=None, **kw):
        return self.call("GET", path, token, **kw)

    def post(self, path, token=None, body=None, **kw):
        return self.call("POST", path, token, json_body={} if body is None else body, **kw)

    def log_size(self):
        return self.get("/v1/health").json()["log_size"]

    def advance(self, duration, token=None):
        """Moves the server's clock forward by an ISO 8601 duration; returns the server's new now
        (a datetime). Deadlines that became due have fired when this returns. On a stopped
        server it only moves the offset the next start() passes: time passes "while it is down"."""
        if self.proc is None:
            ms = duration_ms(self.clock_offset) + duration_ms(duration)
            self.clock_offset = f"PT{ms // 1000}.{ms % 1000:03d}S"
            return self.now()
        r = self.post("/v1/test/clock", token or self.admin, {"advance": duration})
        assert r.status_code == 200, r.text
        self.clock_offset = r.json()["offset"]
        return datetime.fromisoformat(r.json()["now"].replace("Z", "+00:00"))

    def now(self):
        """The server's clock (wall clock + the test offset), as a datetime."""
        return datetime.now(timezone.utc) + timedelta(milliseconds=duration_ms(self.clock_offset))

    def fail_deadlines(self, kind, failures):
        """The next `failures` attempts of deadlines of this kind fail (test hook)."""
        r = self.post("/v1/test/deadline-faults", self.admin, {"kind": kind, "failures": failures})
        assert r.status_code == 200, r.text


def duration_ms(text):
    """Canonical durations as tansiqd writes them: P<d>DT<h>H<m>M<s>S (any part optional)."""
    m = re.fullmatch(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", text)
    assert m, text
    w, d, h, mi, sec = (float(x) if x else 0 for x in m.groups())
    return int(round(((((w * 7 + d) * 24 + h) * 60 + mi) * 60 + sec) * 1000))


@pytest.fixture
def server(tmp_path):
    s = Server(tmp_path / "data")
    s.init()
    s.start()
    yield s
    s.stop()


class Cell:
    """The demo's parties, operators and tracks, created through the API."""

    def __init__(self, srv):
        self.srv = srv
        self.admin = srv.admin
        self.token = {}
        for pid, name in PARTIES.items():
            r = srv.post("/v1/parties", srv.admin, {"id": pid, "name": name})
            assert r.status_code == 201, r.text
        for pid in PARTIES:
            r = srv.post("/v1/users", srv.admin, {"name": pid.lower(), "party": pid, "role": "operator"})
            assert r.status_code == 201, r.text
            self.token[pid] = r.json()["token"]
        for tid, members in TRACKS.items():
            self.make_track(tid, members)

    def make_track(self, tid, members, settings=None):
        body = {"id": tid, "name": tid, "members": [{"party": p, "role": r} for p, r in members]}
        if settings:
            body["settings"] = settings
        r = self.srv.post("/v1/tracks", self.admin, body)
        assert r.status_code == 201, r.text
        return r.json()

    def __getitem__(self, party):
        return self.token[party]


@pytest.fixture
def cell(server):
    return Cell(server)


def wait_until(pred, what, timeout=8.0):
    """Polls pred() until it is true; fails the test naming `what` if it is not within timeout.
    For work the server does by itself (a sweep at start); never to let a deadline pass."""
    end = time.time() + timeout
    while not pred():
        assert time.time() < end, f"not within {timeout} s: {what}"
        time.sleep(0.1)


def wait_status(server, token, path, status, timeout=8.0):
    """Polls GET path until its "status" is `status`; fails the test if it is not within timeout."""
    end = time.time() + timeout
    while True:
        r = server.get(path, token)
        assert r.status_code == 200, r.text
        body = r.json()
        if body.get("status") == status:
            return body
        assert time.time() < end, f"{path}: status {body.get('status')!r}, not {status!r} after {timeout} s"
        time.sleep(0.1)


def problem(r, status):
    """Asserts r is an RFC 9457 problem with this status; returns its body."""
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text}"
    assert r.headers["Content-Type"].startswith("application/problem+json"), r.headers["Content-Type"]
    body = r.json()
    assert body["status"] == status and body["title"] and body["type"], body
    return body
