"""GeoJSON export: one FeatureCollection of zones, deployments, activities and open conflict overlaps,
visible to each role as its objects are, readable by GDAL (api.md Export)."""
import json
import shutil
import subprocess

import pytest

from conftest import problem
from test_zones import activity_body, at, box, create, deployment_body, in_force_zone, point, zone_body

A = box(35.80, 33.00, 35.90, 33.10)
B = box(35.85, 33.05, 35.95, 33.15)


def populate(server, cell, track="il-sy"):
    z = in_force_zone(server, cell, track, kind="demilitarized", geometry=box(36.5, 33.5, 36.6, 33.6))
    p = create(server, cell["IL"], track, "zones", zone_body("limitation", box(36.0, 33.0, 36.1, 33.1), caps={"tanks": 1}))
    d = create(server, cell["SY"], track, "deployments", deployment_body(point(35.0, 33.0)))
    a1 = create(server, cell["IL"], track, "activities", activity_body(geometry=A, start=60, end=120))
    a2 = create(server, cell["SY"], track, "activities",
                activity_body("uav", geometry={"type": "LineString", "coordinates": [[35.8, 33.1], [35.95, 33.1]]},
                              width_m=4000, start=90, end=150))
    return z, p, d, a1, a2


def features(server, token, track="il-sy", query=""):
    r = server.get(f"/v1/tracks/{track}/features.geojson{query}", token)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection"
    return fc


def by_layer(fc):
    out = {}
    for f in fc["features"]:
        assert f["type"] == "Feature" and f["geometry"]["type"]
        out.setdefault(f["properties"]["layer"], []).append(f["properties"]["id"])
    return out


def test_one_collection_with_a_layer_property(server, cell):
    z, p, d, a1, a2 = populate(server, cell)
    fc = features(server, cell["IL"])
    layers = by_layer(fc)
    assert layers["zone"] == [z["id"], p["id"]]
    assert layers["deployment"] == [d["id"]] and layers["activity"] == [a1["id"], a2["id"]]
    assert layers["conflict"] == [a2["conflicts"][0]["id"]]
    props = {f["properties"]["id"]: f for f in fc["features"]}
    # The corridor and the point are exported as the footprints the engine checks.
    assert props[a2["id"]]["geometry"]["type"] == "Polygon" and props[a2["id"]]["properties"]["width_m"] == 4000
    assert props[d["id"]]["geometry"]["type"] == "Polygon"
    assert props[p["id"]]["properties"]["cap_tanks"] == 1 and props[p["id"]]["properties"]["status"] == "proposed"
    c = props[a2["conflicts"][0]["id"]]
    assert c["properties"]["kind"] == "activity_overlap" and c["properties"]["parties"] == "IL,SY"
    assert c["geometry"] == a2["conflicts"][0]["overlap"]["geometry"]


def test_at_keeps_what_is_valid_then(server, cell):
    z, p, d, a1, a2 = populate(server, cell)
    assert by_layer(features(server, cell["SY"], query=f"?at={at(100)}")) == {
        "zone": [z["id"], p["id"]], "deployment": [d["id"]], "activity": [a1["id"], a2["id"]],
        "conflict": [a2["conflicts"][0]["id"]]}
    assert by_layer(features(server, cell["SY"], query=f"?at={at(130)}"))["activity"] == [a2["id"]]
    assert "conflict" not in by_layer(features(server, cell["SY"], query=f"?at={at(130)}"))
    problem(server.get("/v1/tracks/il-sy/features.geojson?at=noon", cell["SY"]), 422)


def test_withdrawn_and_resolved_things_are_not_exported(server, cell):
    z, p, d, a1, a2 = populate(server, cell)
    server.call("DELETE", f"/v1/tracks/il-sy/deployments/{d['id']}", cell["SY"])
    server.post(f"/v1/tracks/il-sy/activities/{a1['id']}/cancel", cell["IL"])
    layers = by_layer(features(server, cell["US"]))
    assert "deployment" not in layers and "conflict" not in layers and layers["activity"] == [a2["id"]]


def test_each_role_exports_what_it_sees(server, cell):
    cell.make_track("vis", [("IL", "principal"), ("SY", "principal"), ("US", "observer"), ("AZ", "host")])
    z, p, d, a1, a2 = populate(server, cell, "vis")
    assert by_layer(features(server, cell["US"], "vis")) == {"zone": [z["id"]]}   # zones in force only
    problem(server.get("/v1/tracks/vis/features.geojson", cell["AZ"]), 403)
    problem(server.get("/v1/tracks/vis/features.geojson", cell["TR"]), 404)
    problem(server.get("/v1/tracks/vis/features.geojson", cell.admin), 403)


@pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin (ogrinfo) is not installed")
def test_ogrinfo_reads_the_export(server, cell, tmp_path):
    populate(server, cell)
    path = tmp_path / "il-sy.geojson"
    r = server.get("/v1/tracks/il-sy/features.geojson", cell["IL"])
    path.write_bytes(r.content)
    out = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    n = len(json.loads(r.content)["features"])
    assert n == 6
    assert "using driver `GeoJSON' successful" in out.stdout
    assert f"Feature Count: {n}" in out.stdout
    for field in ("layer: String", "kind: String", "start: DateTime", "alt_min_m: Real"):
        assert field in out.stdout, out.stdout
    # Every feature readable, with its layer attribute.
    full = subprocess.run(["ogrinfo", "-ro", "-al", "-q", str(path)], capture_output=True, text=True, timeout=60)
    assert full.returncode == 0, full.stderr
    assert sorted(set(line.split("=")[1].strip() for line in full.stdout.splitlines()
                      if line.strip().startswith("layer (String)"))) == ["activity", "conflict", "deployment", "zone"]
