"""Work bounds per footprint (issue 17, "One request freezes the cell"): footprints whose metre buffer
would be huge are answered 422 at once, with the reason, and the cell keeps answering meanwhile.

Before the fix, on a release build: a 9,999-vertex zig-zag corridor checked by any member held the app
lock for 22 s (+500 MB) before its 422; a 100-vertex one was accepted and stored (~200,000 vertices) and
slowed every later write; a 9,603-vertex comb within 1 km of another activity took 9.4 s on the margin
path; `radius_m: 1e-300` and `width_m: 1e-20` answered 500.

Timing bounds are generous (ASan+UBSan builds on a shared 2-core machine): a refusal must come back
within a small multiple of a normal request, and far below what the work it refuses would take."""
import statistics
import threading
import time

import pytest

from conftest import problem
from test_zones import activity_body, box, create


def zigzag(n, lat0=20.0, lat1=39.9):
    """The issue's LineString: n vertices zig-zagging between two latitudes over 10 degrees."""
    return {"type": "LineString",
            "coordinates": [[round(30.0 + i * (10.0 / n), 6), lat1 if i % 2 else lat0] for i in range(n)]}


def comb(teeth=2400, sp=0.0001, h=0.01, x0=36.0, y0=33.0):
    """A polygon of `teeth` teeth h degrees tall, sp degrees wide and apart (4 * teeth + 4 positions)."""
    ring = [[x0, y0]]
    for i in range(teeth):
        x = x0 + i * 2 * sp
        ring += [[round(x, 7), y0 + h], [round(x + sp, 7), y0 + h], [round(x + sp, 7), y0 + 0.001],
                 [round(x + 2 * sp, 7), y0 + 0.001]]
    ring += [[round(x0 + teeth * 2 * sp, 7), y0 - 0.01], [x0, y0 - 0.01], [x0, y0]]
    return {"type": "Polygon", "coordinates": [ring]}


def viewer(server):
    r = server.post("/v1/users", server.admin, {"name": "il-viewer", "party": "IL", "role": "viewer"})
    assert r.status_code == 201, r.text
    return r.json()["token"]


def normal_check_seconds(server, token):
    """Median wall time of an ordinary check (a 3-vertex corridor), for relative bounds."""
    body = dict(activity_body(geometry={"type": "LineString", "coordinates": [[35.8, 33.0], [35.9, 33.1], [36.0, 33.0]]},
                              width_m=1000), type="activity")
    times = []
    for _ in range(5):
        t0 = time.monotonic()
        r = server.post("/v1/tracks/il-sy/check", token, body)
        times.append(time.monotonic() - t0)
        assert r.status_code == 200, r.text
    return statistics.median(times)


def timed_with_health(server, fn):
    """Runs fn() in a thread while polling /v1/health; returns (fn's answer, its seconds, slowest health)."""
    out = {}

    def run():
        t0 = time.monotonic()
        out["r"] = fn()
        out["t"] = time.monotonic() - t0

    th = threading.Thread(target=run)
    th.start()
    slowest = 0.0
    polls = 0
    while th.is_alive() or polls == 0:
        t0 = time.monotonic()
        h = server.get("/v1/health")
        slowest = max(slowest, time.monotonic() - t0)
        assert h.status_code == 200, h.text
        polls += 1
    th.join(timeout=60)
    assert not th.is_alive(), "the request did not finish"
    return out["r"], out["t"], slowest


def assert_fast(seconds, normal, what):
    # 22 s before the fix on a release build; a refusal is a small multiple of an ordinary check.
    assert seconds < max(3.0, 40 * normal), f"{what} took {seconds:.2f} s (ordinary check {normal:.3f} s)"


def test_zigzag_corridor_checked_by_a_viewer_is_422_fast_and_health_answers(server, cell):
    token = viewer(server)
    normal = normal_check_seconds(server, token)
    body = dict(activity_body(geometry=zigzag(9999), width_m=1), type="activity")
    r, took, slowest_health = timed_with_health(server, lambda: server.post("/v1/tracks/il-sy/check", token, body))
    p = problem(r, 422)
    assert p["errors"][0]["field"] == "geometry", p
    assert "too complex to buffer by width_m" in p["errors"][0]["message"], p
    assert_fast(took, normal, "the 9,999-vertex zig-zag")
    assert slowest_health < max(3.0, 40 * normal), f"/v1/health took {slowest_health:.2f} s meanwhile"


def test_100_vertex_zigzag_is_no_longer_stored(server, cell):
    size = server.log_size()
    normal = normal_check_seconds(server, cell["IL"])
    t0 = time.monotonic()
    r = server.post("/v1/tracks/il-sy/activities", cell["IL"], activity_body(geometry=zigzag(100), width_m=1))
    took = time.monotonic() - t0
    p = problem(r, 422)
    assert "too complex to buffer" in p["errors"][0]["message"], p
    assert_fast(took, normal, "the 100-vertex zig-zag")
    assert server.log_size() == size
    # A corridor of the same length with few, long edges is fine (~1,000 vertices densified).
    few = {"type": "LineString", "coordinates": [[35.0, 32.0], [35.1, 33.9], [35.2, 32.0]]}
    create(server, cell["IL"], "il-sy", "activities", activity_body(geometry=few, width_m=1))


def test_comb_within_the_margin_of_another_activity_is_422_fast(server, cell):
    # SY's activity 0.9 km north of the comb's teeth: a new IL activity there needs the 1 km margin buffer.
    create(server, cell["SY"], "il-sy", "activities", activity_body(geometry=box(36.01, 33.018, 36.011, 33.019)))
    normal = normal_check_seconds(server, cell["IL"])
    size = server.log_size()
    body = activity_body(geometry=comb())
    r, took, slowest_health = timed_with_health(
        server, lambda: server.post("/v1/tracks/il-sy/activities", cell["IL"], body))
    p = problem(r, 422)
    assert p["errors"][0]["field"] == "geometry", p
    assert "too complex for the track's separation margin of 1000 m" in p["errors"][0]["message"], p
    assert_fast(took, normal, "the comb's create")
    assert slowest_health < max(3.0, 40 * normal), f"/v1/health took {slowest_health:.2f} s meanwhile"
    assert server.log_size() == size
    r = server.post("/v1/tracks/il-sy/check", cell["IL"], dict(body, type="activity"))
    assert "separation margin" in problem(r, 422)["errors"][0]["message"]
    # Without a horizontal margin the same comb is an ordinary footprint.
    cell.make_track("nomargin", [("IL", "principal"), ("SY", "principal")], settings={"separation_m": 0})
    create(server, cell["IL"], "nomargin", "activities", body)


@pytest.mark.parametrize("field,geometry,value", [
    ("radius_m", {"type": "Point", "coordinates": [36.0, 33.0]}, 1e-300),
    ("width_m", {"type": "LineString", "coordinates": [[36.0, 33.0], [36.1, 33.0]]}, 1e-20),
    ("radius_m", {"type": "Point", "coordinates": [36.0, 33.0]}, 0.001),
])
def test_vanishing_radius_or_width_is_422_not_500(server, cell, field, geometry, value):
    body = activity_body(geometry=geometry, **{field: value})
    for path, b in (("/v1/tracks/il-sy/check", dict(body, type="activity")), ("/v1/tracks/il-sy/activities", body)):
        p = problem(server.post(path, cell["IL"], b), 422)
        assert p["errors"][0]["field"] == field, p
        assert "at least 0.01" in p["errors"][0]["message"], p
