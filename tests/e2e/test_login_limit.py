"""Login flood: POST /v1/session has its own low limits per address and per user name, answered
429 with Retry-After before any password is hashed, so a flood of wrong passwords neither keeps
the cores busy with Argon2id nor slows everyone else down."""
import http.client
import json
import threading
import time

import requests

from conftest import problem


def make_user(server, name, password="correct horse battery"):
    r = server.post("/v1/parties", server.admin, {"id": "IL", "name": "Israel"})
    assert r.status_code in (201, 409), r.text
    r = server.post("/v1/users", server.admin, {"name": name, "party": "IL", "role": "operator", "password": password})
    assert r.status_code == 201, r.text


def login(server, name, password, source="127.0.0.1"):
    """One login from a chosen loopback source address; returns (status, headers, body, seconds)."""
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60, source_address=(source, 0))
    t0 = time.monotonic()
    c.request("POST", "/v1/session", json.dumps({"name": name, "password": password}),
              {"Content-Type": "application/json"})
    resp = c.getresponse()
    body = resp.read()
    elapsed = time.monotonic() - t0
    c.close()
    return resp.status, dict(resp.getheaders()), body, elapsed


def test_a_burst_of_wrong_passwords_is_refused_before_hashing_and_health_stays_fast(server):
    make_user(server, "il-duty")
    # What one Argon2id costs here (ASan, shared cores): the yardstick for everything below.
    status, _, _, one_hash = login(server, "il-duty", "wrong", source="127.0.0.9")
    assert status == 401
    t0 = time.monotonic()
    assert server.get("/v1/health").status_code == 200
    idle_health = time.monotonic() - t0

    results, health = [], []

    def attacker(i):
        results.append(login(server, f"user{i % 4}", "wrong password"))

    threads = [threading.Thread(target=attacker, args=(i,)) for i in range(60)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for _ in range(3):
        t1 = time.monotonic()
        assert requests.get(server.url + "/v1/health", timeout=60).status_code == 200
        health.append(time.monotonic() - t1)
    for t in threads:
        t.join()
    burst = time.monotonic() - start

    limited = [r for r in results if r[0] == 429]
    hashed = [r for r in results if r[0] == 401]
    assert len(limited) + len(hashed) == 60, [r[0] for r in results]
    # The per-address burst (10) plus what refills (5/s) while the burst lasts reach the check.
    assert len(hashed) <= 10 + 5 * burst, (len(hashed), burst)
    assert len(limited) >= 20, len(limited)
    for status, headers, body, _ in limited:
        assert int(headers["Retry-After"]) >= 1
        assert json.loads(body)["status"] == 429
    # A refused login is not hashed: most 429s come back faster than one hash.
    fast = sorted(r[3] for r in limited)[len(limited) // 2]
    assert fast < one_hash, (fast, one_hash)
    # At most two hashes run at once, so the other workers keep answering.
    assert max(health) < 3 * one_hash + 10 * idle_health + 0.5, (health, one_hash, idle_health)


def test_one_user_name_is_limited_across_addresses_and_others_still_log_in(server):
    make_user(server, "sy-duty")
    make_user(server, "us-duty")
    results = []

    def attacker(i):   # each from its own address: only the per-name limit can stop them
        results.append(login(server, "sy-duty", "wrong", source=f"127.0.0.{10 + i}"))

    threads = [threading.Thread(target=attacker, args=(i,)) for i in range(30)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    burst = time.monotonic() - start
    statuses = [r[0] for r in results]
    assert sorted(set(statuses)) <= [401, 429], statuses
    # Per name: burst 5, then one a second, whatever the address.
    assert statuses.count(401) <= 5 + burst, (statuses, burst)
    assert any(r[0] == 429 and "user name" in json.loads(r[2])["detail"] for r in results), results
    # Another user, from another address, is not locked out by the flood on sy-duty.
    status, headers, body, _ = login(server, "us-duty", "correct horse battery", source="127.0.0.99")
    assert status == 200, body
    assert "tansiq_session=" in headers["Set-Cookie"]


def test_login_limits_are_configurable_and_can_be_off(tmp_path):
    from conftest import Server
    s = Server(tmp_path / "d")
    s.init()
    s.start("--login-rate", "0")
    try:
        make_user(s, "il-duty")
        assert [login(s, "il-duty", "wrong")[0] for _ in range(12)] == [401] * 12
    finally:
        s.stop()
