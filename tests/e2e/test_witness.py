"""Witnessed checkpoints (api.md, Contract v1.1 additions, "Witnessed checkpoints";
C2SP tlog-witness and tlog-cosignature).

`tansiq witness` is tested against checkpoints of a log written here in Python (its
own Merkle tree and Ed25519 key, so that forks and bad proofs are easy to make), and
cosignatures are checked here with Python's `cryptography`, independently of the C code.
Then tansiqd --witness against real witnesses: cosigned checkpoints, a quorum with a
witness down, and a server restored from an older copy of its data dir, which cannot
get its new checkpoint cosigned and which `tansiq verify --witness` reports as a split.
"""
import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from conftest import TANSIQ, TANSIQD, Server, free_port

EXIT_VERIFY = 5
DASH = "\u2014 "


def b64(b):
    return base64.b64encode(b).decode()


def sha256(b):
    return hashlib.sha256(b).digest()


# ---- a log in Python: RFC 9162 §2.1 tree, C2SP signed-note checkpoints ----

def leaf_hash(data):
    return sha256(b"\x00" + data)


def node(left, right):
    return sha256(b"\x01" + left + right)


def split_point(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves):
    if not leaves:
        return sha256(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = split_point(len(leaves))
    return node(mth(leaves[:k]), mth(leaves[k:]))


def subproof(m, leaves, complete):
    """RFC 9162 §2.1.4.1 SUBPROOF."""
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = split_point(n)
    if m <= k:
        return subproof(m, leaves[:k], complete) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def key_id(name, alg, pk):
    return sha256(name.encode() + b"\n" + bytes([alg]) + pk)[:4]


def raw_pk(sk):
    return sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class PyLog:
    def __init__(self, origin, tag=b""):
        self.origin = origin
        self.sk = Ed25519PrivateKey.generate()
        self.pk = raw_pk(self.sk)
        self.leaves = []
        self.tag = tag

    @property
    def vkey(self):
        key = b64(bytes([1]) + self.pk)
        return f"{self.origin}+{key_id(self.origin, 1, self.pk).hex()}+{key}"

    def grow(self, n, tag=None):
        for _ in range(n):
            self.leaves.append(leaf_hash(b"entry %d %s" % (len(self.leaves), tag or self.tag)))

    def body(self, size=None):
        size = len(self.leaves) if size is None else size
        return f"{self.origin}\n{size}\n{b64(mth(self.leaves[:size]))}\n"

    def note(self, size=None, signer=None):
        body = self.body(size)
        sk = signer or self.sk
        sig = key_id(self.origin, 1, raw_pk(sk)) + sk.sign(body.encode())
        return f"{body}\n{DASH}{self.origin} {b64(sig)}\n"

    def request(self, old, size=None, proof=None, note=None):
        size = len(self.leaves) if size is None else size
        if proof is None:
            proof = subproof(old, self.leaves[:size], True) if 0 < old < size else []
        lines = "".join(b64(h) + "\n" for h in proof)
        return f"old {old}\n{lines}\n{note or self.note(size)}".encode()

    def clone(self, origin=None):
        other = PyLog(origin or self.origin)
        other.sk, other.pk, other.leaves = self.sk, self.pk, list(self.leaves)
        return other


# ---- tansiq witness ----

def parse_vkey(vkey):
    name, kid, key = vkey.split("+", 2)
    raw = base64.b64decode(key)
    assert raw[0] == 0x04 and len(raw) == 33, vkey
    assert key_id(name, 4, raw[1:]).hex() == kid
    return name, raw[1:]


def check_cosig(line, body, vkey):
    """Verifies one cosignature line on the checkpoint body (tlog-cosignature, Ed25519);
    returns its timestamp."""
    name, pk = parse_vkey(vkey)
    assert line.startswith(f"{DASH}{name} ") and line.endswith("\n"), line
    raw = base64.b64decode(line[len(DASH) + len(name) + 1:-1], validate=True)
    assert len(raw) == 4 + 8 + 64 and raw[:4] == key_id(name, 4, pk)
    t = int.from_bytes(raw[4:12], "big")
    Ed25519PublicKey.from_public_bytes(pk).verify(raw[12:], b"cosignature/v1\ntime %d\n" % t + body.encode())
    return t


class Witness:
    def __init__(self, tmp, name):
        file = name.replace("/", "_")
        self.key = str(tmp / f"{file}.key")
        self.state = self.key + ".state"
        self.log = open(str(tmp / f"{file}.stderr"), "ab")
        out = subprocess.run([TANSIQ, "witness", "init", "--key", self.key, "--name", name],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        self.vkey = out.stdout.strip().splitlines()[-1]
        self.proc = None
        self.port = free_port()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, *log_vkeys):
        args = [TANSIQ, "witness", "--key", self.key, "--listen", f"127.0.0.1:{self.port}"]
        for v in log_vkeys:
            args += ["--log-vkey", v]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("witness ") and "listening on" in line, (line, self.proc.poll())
        return self

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            assert self.proc.wait(timeout=30) == 0
            self.proc = None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def add(self, body):
        return requests.post(self.url + "/add-checkpoint", data=body, timeout=30)


@pytest.fixture
def witnesses(tmp_path):
    made = []

    def make(name):
        w = Witness(tmp_path, name)
        made.append(w)
        return w
    yield make
    for w in made:
        w.stop()


def test_init_writes_a_0600_key_prints_the_vkey_last_and_never_overwrites(tmp_path):
    key = tmp_path / "w.key"
    out = subprocess.run([TANSIQ, "witness", "init", "--key", str(key), "--name", "w.example/1"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    vkey = out.stdout.strip().splitlines()[-1]
    assert parse_vkey(vkey)[0] == "w.example/1"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    before = key.read_bytes()
    again = subprocess.run([TANSIQ, "witness", "init", "--key", str(key)], capture_output=True, text=True,
                           timeout=30)
    assert again.returncode == 1 and "nothing changed" in again.stderr
    assert key.read_bytes() == before


def test_witness_cosigns_a_growing_log(witnesses):
    log = PyLog("example.test/log-a")
    w = witnesses("w.example/a").start(log.vkey)
    log.grow(3)
    r = w.add(log.request(0))
    assert r.status_code == 200, r.text
    t1 = check_cosig(r.text, log.body(), w.vkey)
    assert abs(t1 - time.time()) < 120
    log.grow(6)
    r = w.add(log.request(3))
    assert r.status_code == 200, r.text
    check_cosig(r.text, log.body(), w.vkey)
    # Same size again: same root, empty proof.
    r = w.add(log.request(9))
    assert r.status_code == 200, r.text
    # The monitoring path serves the latest cosigned checkpoint, log and witness lines.
    r = requests.get(f"{w.url}/{hashlib.sha256(log.origin.encode()).hexdigest()}/checkpoint", timeout=30)
    assert r.status_code == 200
    body, sigs = r.text.split("\n\n", 1)
    assert body + "\n" == log.body()
    lines = [s + "\n" for s in sigs.splitlines()]
    assert lines[0].startswith(f"{DASH}{log.origin} ")
    check_cosig(lines[-1], log.body(), w.vkey)


def test_witness_refuses_stale_forked_unknown_and_badly_signed_checkpoints(witnesses):
    log = PyLog("example.test/log-b")
    w = witnesses("w.example/b").start(log.vkey)
    log.grow(7)
    assert w.add(log.request(0)).status_code == 200
    # Old size not the latest cosigned: 409 with that size.
    log.grow(2)
    r = w.add(log.request(3))
    assert r.status_code == 409
    assert r.headers["Content-Type"] == "text/x.tlog.size" and r.text == "7\n"
    r = w.add(log.request(0))
    assert r.status_code == 409 and r.text == "7\n"
    # A fork that rewrote leaves 5 and 6, with its own (valid for itself) proof from 7: 422.
    fork = log.clone()
    fork.leaves = fork.leaves[:5]
    fork.grow(4, tag=b"fork")
    r = w.add(fork.request(7))
    assert r.status_code == 422, r.text
    # Same size as cosigned, another root: 422.
    r = w.add(fork.request(7, size=7))
    assert r.status_code == 422
    # A tampered proof: 422.
    proof = subproof(7, log.leaves, True)
    proof[0] = bytes(32)
    assert w.add(log.request(7, proof=proof)).status_code == 422
    # Old size above the checkpoint size: 400.
    assert w.add(log.request(8, size=7)).status_code == 400
    # Unknown origin: 404.
    other = PyLog("example.test/not-witnessed")
    other.grow(2)
    assert w.add(other.request(0)).status_code == 404
    # Right origin, another key: no signature by the trusted key, 403.
    assert w.add(log.request(7, note=log.note(signer=Ed25519PrivateKey.generate()))).status_code == 403
    # Right key id, bad signature bytes: 403.
    note = log.note()
    sig_at = note.rindex(" ") + 20
    bad = note[:sig_at] + ("A" if note[sig_at] != "A" else "B") + note[sig_at + 1:]
    assert w.add(log.request(7, note=bad)).status_code == 403
    # Malformed bodies: 400.
    assert w.add(b"old 07\n\n" + log.note().encode()).status_code == 400
    assert w.add(b"hello").status_code == 400
    # Nothing of that changed the state: the honest growth is still cosigned from 7.
    r = w.add(log.request(7))
    assert r.status_code == 200, r.text
    check_cosig(r.text, log.body(), w.vkey)


def test_witness_state_survives_restart_and_sigkill_mid_stream(witnesses):
    log = PyLog("example.test/log-c")
    w = witnesses("w.example/c").start(log.vkey)
    returned = []   # sizes whose cosignature came back
    sent = []
    stop = threading.Event()

    def stream():
        old = 0
        while not stop.is_set():
            log.grow(1)
            size = len(log.leaves)
            sent.append(size)
            try:
                r = w.add(log.request(old))
            except requests.RequestException:
                return
            if r.status_code != 200:
                return
            check_cosig(r.text, log.body(), w.vkey)
            returned.append(size)
            old = size

    t = threading.Thread(target=stream)
    t.start()
    deadline = time.time() + 60
    while len(returned) < 20:
        assert time.time() < deadline, "the witness did not cosign 20 checkpoints in 60 s"
        time.sleep(0.01)
    w.kill9()
    stop.set()
    t.join(timeout=60)
    assert returned, "no cosignature came back"
    # The state file parses; its size is the last one answered, or the one in flight
    # (written, then killed before answering); never anything else, never half-written.
    state = json.load(open(w.state))
    entry = state["logs"][log.origin]
    assert entry["size"] in (returned[-1], sent[-1]), (entry["size"], returned[-1], sent[-1])
    assert entry["root"] == b64(mth(log.leaves[:entry["size"]]))
    cp = entry["checkpoint"]
    body, sigs = cp.split("\n\n", 1)
    assert body + "\n" == log.body(entry["size"])
    check_cosig(sigs.splitlines()[-1] + "\n", body + "\n", w.vkey)
    # After a restart it still knows: a stale old size gets 409 with the stored size,
    # and the log goes on from there.
    w.start(log.vkey)
    r = w.add(log.request(0))
    assert r.status_code == 409 and r.text == f"{entry['size']}\n"
    log.grow(1)
    r = w.add(log.request(entry["size"]))
    assert r.status_code == 200, r.text


def test_a_corrupt_state_file_stops_the_witness(witnesses):
    log = PyLog("example.test/log-d")
    w = witnesses("w.example/d")
    with open(w.state, "w") as f:
        f.write('{"logs": {"example.test/log-d": {"size": 3, ')
    out = subprocess.run([TANSIQ, "witness", "--key", w.key, "--listen", f"127.0.0.1:{w.port}",
                          "--log-vkey", log.vkey], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "refusing to start" in out.stderr


# ---- tansiqd --witness ----

def log_vkey(srv):
    r = srv.get("/v1/log/key", srv.admin)
    assert r.status_code == 200
    return r.json()["vkey"]


def cosig_lines(note):
    body, sigs = note.split("\n\n", 1)
    return body + "\n", [s + "\n" for s in sigs.splitlines()[1:]]


def wait_cosigned(srv, count, size=None, timeout=60):
    """Polls the current checkpoint until it carries `count` cosignatures (and has
    `size`, if given). Returns (body, cosignature lines)."""
    deadline = time.time() + timeout
    while True:
        r = srv.get("/v1/log/checkpoint", srv.admin)
        assert r.status_code == 200
        body, lines = cosig_lines(r.text)
        if len(lines) >= count and (size is None or body.split("\n")[1] == str(size)):
            return body, lines
        assert time.time() < deadline, f"no {count} cosignatures in {timeout} s: {r.text!r} " \
                                       f"{srv.get('/v1/health').text}"
        time.sleep(0.2)


def write(srv, n):
    for _ in range(n):
        r = srv.post("/v1/parties", srv.admin, {"id": f"X{srv.log_size()}", "name": "extra"})
        assert r.status_code == 201, r.text


def cli_env(home, url, token):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "TANSIQ_"))}
    env.update(HOME=str(home), TANSIQ_URL=url, TANSIQ_TOKEN=token)
    return env


def verify(home, srv, *extra):
    return subprocess.run([TANSIQ, "verify", *extra], env=cli_env(home, srv.url, srv.admin),
                          capture_output=True, text=True, timeout=300)


def started_with_witnesses(tmp_path, *ws, running=None):
    srv = Server(tmp_path / "data")
    srv.init()
    srv.start()
    vkey = log_vkey(srv)
    srv.stop()
    for w in running if running is not None else ws:
        w.start(vkey)
    args = []
    for w in ws:
        args += ["--witness", f"{w.url}={w.vkey}"]
    srv.start(*args)
    return srv, args


def requests_seen(w):
    """add-checkpoint requests the witness has answered (one stderr line each)."""
    with open(w.log.name, encoding="utf-8") as f:
        return sum(1 for line in f if line.startswith("tansiq witness: "))


def test_tansiqd_serves_cosigned_checkpoints_and_a_quorum_survives_a_witness_down(tmp_path, witnesses):
    w1, w2, w3 = witnesses("w.example/1"), witnesses("w.example/2"), witnesses("w.example/3")
    # w3 is down the worst way: it accepts connections and never answers.
    hole = socket.socket()
    hole.bind(("127.0.0.1", w3.port))
    hole.listen(16)
    srv, _ = started_with_witnesses(tmp_path, w1, w2, w3, running=[w1, w2])
    try:
        write(srv, 2)
        size = srv.log_size()
        body, lines = wait_cosigned(srv, 2, size)
        assert sorted(l.split(" ")[1] for l in lines) == ["w.example/1", "w.example/2"]
        check_cosig([l for l in lines if "w.example/1" in l][0], body, w1.vkey)
        check_cosig([l for l in lines if "w.example/2" in l][0], body, w2.vkey)
        health = srv.get("/v1/health").json()
        by_name = {w["name"]: w for w in health["witnesses"]}
        assert by_name["w.example/1"]["cosigned_size"] == size
        assert by_name["w.example/3"]["cosigned_size"] is None and by_name["w.example/3"]["error"]
        home = tmp_path / "home"
        ok = verify(home, srv, "--witness", w1.vkey, "--witness", w2.vkey, "--witness", w3.vkey,
                    "--quorum", "2")
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "OK:   witnesses: 2 of 3 witnesses cosigned" in ok.stdout
        all3 = verify(home, srv, "--witness", w1.vkey, "--witness", w2.vkey, "--witness", w3.vkey)
        assert all3.returncode == EXIT_VERIFY and "FAIL: witnesses" in all3.stdout
        # The log grows, the writes never wait for the witnesses (w3 hangs), sizes
        # reached within a second go to a witness as one request, and the new
        # checkpoint gets cosigned too; a cosignature is only served with its checkpoint.
        seen = requests_seen(w1)
        t0 = time.time()
        write(srv, 12)
        assert time.time() - t0 < 10
        r = srv.get("/v1/log/checkpoint", srv.admin)
        cur_body, cur_lines = cosig_lines(r.text)
        assert cur_body.split("\n")[1] == str(srv.log_size())    # rule 6: the whole log
        for line in cur_lines:
            name = line.split(" ")[1]
            check_cosig(line, cur_body, {"w.example/1": w1.vkey, "w.example/2": w2.vkey}[name])
        body2, lines2 = wait_cosigned(srv, 2, srv.log_size())
        assert body2 != body
        elapsed = time.time() - t0
        assert requests_seen(w1) - seen <= elapsed + 2, (requests_seen(w1) - seen, elapsed)
        # ?cosigned=N: the latest checkpoint with N cosignatures; none has 3.
        r = srv.get("/v1/log/checkpoint?cosigned=2", srv.admin)
        assert r.status_code == 200 and cosig_lines(r.text)[0] == body2
        assert srv.get("/v1/log/checkpoint?cosigned=3", srv.admin).status_code == 404
        assert srv.get("/v1/log/checkpoint?cosigned=0", srv.admin).status_code == 400
    finally:
        srv.stop()
        hole.close()


@pytest.mark.sqlite_only   # restores a copy of the data dir, where the SQLite store lives
def test_a_restored_server_cannot_get_cosigned_and_verify_reports_the_split(tmp_path, witnesses):
    w = witnesses("w.example/us")
    srv, args = started_with_witnesses(tmp_path, w)
    home = tmp_path / "home"
    backup = tmp_path / "backup"
    try:
        write(srv, 2)
        wait_cosigned(srv, 1, srv.log_size())
        srv.stop()
        shutil.copytree(srv.data, backup)        # an older copy of the data dir
        srv.start(*args)
        write(srv, 3)
        witnessed_size = srv.log_size()
        witnessed_body, _ = wait_cosigned(srv, 1, witnessed_size)
        ok = verify(home, srv, "--witness", w.vkey)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        witnessed_note = srv.get("/v1/log/checkpoint", srv.admin).text
        srv.stop()
        # Restore the old copy, then write another future, longer than the witnessed one.
        shutil.rmtree(srv.data)
        shutil.copytree(backup, srv.data)
        srv.start(*args)
        write(srv, 5)
        forked_size = srv.log_size()
        assert forked_size > witnessed_size
        deadline = time.time() + 60
        while True:
            wh = srv.get("/v1/health").json()["witnesses"][0]
            if wh["error"] and "422" in wh["error"]:
                break
            assert time.time() < deadline, wh
            time.sleep(0.2)
        assert wh["cosigned_size"] is None
        body, lines = cosig_lines(srv.get("/v1/log/checkpoint", srv.admin).text)
        assert lines == [] and body.split("\n")[1] == str(forked_size)
        # The witness still holds the first history.
        assert json.load(open(w.state))["logs"][body.split("\n")[0]]["size"] == witnessed_size
        # The client that saw the witnessed checkpoint detects the split, with both as evidence.
        bad = verify(home, srv, "--witness", w.vkey)
        assert bad.returncode == EXIT_VERIFY, bad.stdout + bad.stderr
        assert "FAIL: witnesses" in bad.stdout
        assert "FAIL: split view" in bad.stdout
        assert witnessed_body in bad.stdout and f"\n{forked_size}\n" in bad.stdout
        assert witnessed_note.split("\n\n")[1].splitlines()[1] in bad.stdout   # its cosignature line
        j = verify(home, srv, "--witness", w.vkey, "--json")
        report = json.loads(j.stdout)
        assert report["ok"] is False
        assert cosig_lines(report["split"]["witnessed"])[0] == witnessed_body
        assert cosig_lines(report["split"]["server"])[0].split("\n")[1] == str(forked_size)
    finally:
        srv.stop()


def test_tansiqd_refuses_a_bad_witness_option(tmp_path):
    srv = Server(tmp_path / "data")
    srv.init()
    out = subprocess.run([TANSIQD, "--data", srv.data,
                          "--witness", "http://127.0.0.1:1=not-a-vkey"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "--witness" in out.stderr
