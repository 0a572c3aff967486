"""The authorization matrix: every endpoint × every kind of caller, expected statuses derived from the
contract's roles table (architecture.md "Who sees what", api.md Conventions and Precise rules 7-9).

One track `mx` holds every role: IL and SY principals, RU mediator, US supervisor, AZ host, TR observer.
Callers: principal (IL), mediator (RU), supervisor (US), host (AZ), observer (TR), non-member (QA),
viewer (an IL viewer), the cell admin, and no token. Write endpoints get a fresh target object for each
caller so that one caller's success does not change what the next one meets.
"""
from datetime import datetime, timedelta, timezone

import pytest

from conftest import Server

CALLERS = ["principal", "mediator", "supervisor", "host", "observer", "nonmember", "viewer", "admin", "none"]
MEMBER_ROLES = ["principal", "mediator", "supervisor", "host", "observer"]
PARTY = {"principal": "IL", "mediator": "RU", "supervisor": "US", "host": "AZ", "observer": "TR",
         "nonmember": "QA", "viewer": "IL"}
T = "mx"

# The roles table: who sees which kind of object (the viewer reads as its party, a principal).
SEES = {
    "zone_in_force": {"principal", "mediator", "supervisor", "observer"},
    "zone_proposed": {"principal", "mediator", "supervisor"},
    "deployment": {"principal", "mediator", "supervisor"},
    "activity": {"principal", "mediator", "supervisor"},
    "conflict": {"principal", "mediator", "supervisor"},
    "message_to_all": {"principal", "mediator", "supervisor", "host"},
    "threat": {"principal", "mediator", "supervisor"},
    "dispute": {"principal", "mediator", "supervisor"},
    "meeting": set(MEMBER_ROLES),
    "action": set(MEMBER_ROLES),
}
# Lists: a role that can see some objects of the type gets 200; one that never can gets 403.
LIST_SEES = {
    "zones": SEES["zone_in_force"], "deployments": SEES["deployment"], "activities": SEES["activity"],
    "conflicts": SEES["conflict"], "messages": SEES["message_to_all"], "threats": SEES["threat"],
    "disputes": SEES["dispute"], "meetings": SEES["meeting"], "meetings/series": SEES["meeting"],
    "actions": SEES["action"],
}


def now(minutes=0):
    t = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + "Z"


def box(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def expect_read(caller, sees):
    """Status of reading one object (or a list) visible to the roles in `sees`."""
    if caller == "none":
        return 401
    if caller == "admin":
        return 403
    if caller == "nonmember":
        return 404
    role = "principal" if caller == "viewer" else caller
    return 200 if role in sees else None  # None: caller-specific (404 for one object, 403 for a list)


def expect_write(caller, allowed, sees, ok):
    """Status of a write by `caller` on a target visible to `sees`, allowed for the roles in `allowed`."""
    if caller == "none":
        return 401
    if caller == "nonmember":
        return 404
    if caller in ("admin", "viewer"):
        return 403
    if caller not in sees:
        return 404
    return ok if caller in allowed else 403


@pytest.fixture(scope="module")
def mx(tmp_path_factory):
    srv = Server(tmp_path_factory.mktemp("authz") / "data")
    srv.init()
    srv.start("--rate-limit", "0")
    tok = {"admin": srv.admin, "none": None}
    for pid in ["IL", "SY", "RU", "US", "AZ", "TR", "QA"]:
        assert srv.post("/v1/parties", srv.admin, {"id": pid, "name": pid}).status_code == 201
        r = srv.post("/v1/users", srv.admin, {"name": pid.lower(), "party": pid, "role": "operator"})
        tok[pid] = r.json()["token"]
    tok["viewer"] = srv.post("/v1/users", srv.admin, {"name": "il-viewer", "party": "IL", "role": "viewer"}).json()["token"]
    members = [("IL", "principal"), ("SY", "principal"), ("RU", "mediator"), ("US", "supervisor"),
               ("AZ", "host"), ("TR", "observer")]
    r = srv.post("/v1/tracks", srv.admin, {"id": T, "name": "matrix", "members": [
        {"party": p, "role": r} for p, r in members]})
    assert r.status_code == 201, r.text
    for caller, party in PARTY.items():
        if caller != "viewer":
            tok[caller] = tok[party]
    yield srv, tok
    srv.stop()


class World:
    """Makes the objects the endpoints act on, through the API, as the parties who may."""

    def __init__(self, srv, tok):
        self.srv, self.tok = srv, tok
        self.n = 0

    def post(self, party, what, body):
        r = self.srv.post(f"/v1/tracks/{T}/{what}", self.tok[party], body)
        assert r.status_code in (200, 201), (what, r.text)
        return r.json()

    def spot(self):
        self.n += 1
        x = 36.0 + (self.n % 40) * 0.05
        y = 33.0 + (self.n // 40) * 0.05
        return box(x, y, x + 0.01, y + 0.01)

    def zone(self, kind="influence", by="IL"):
        return self.post(by, "zones", {"kind": kind, "name": "z", "geometry": self.spot()})

    def proposed_zone(self, by="IL"):
        return self.zone("demilitarized", by)

    def in_force_zone(self):
        z = self.zone("demilitarized")
        r = self.srv.post(f"/v1/tracks/{T}/zones/{z['id']}/accept", self.tok["SY"])
        assert r.status_code == 200, r.text
        return r.json()

    def deployment(self):
        g = self.spot()
        return self.post("IL", "deployments", {"unit": "u", "geometry": g, "strength": {"troops": 1, "tanks": 0,
                                                                                     "artillery": 0, "air_defense": 0}})

    def activity(self, party="IL", geometry=None):
        return self.post(party, "activities", {"kind": "air_sortie", "geometry": geometry or self.spot(),
                                               "altitude": {"min_m": 1000, "max_m": 2000},
                                               "window": {"start": now(120), "end": now(180)}})

    def conflict(self):
        g = self.spot()
        self.activity("IL", g)
        a = self.activity("SY", g)
        assert a["conflicts"], a
        return a["conflicts"][0]

    def message(self):
        return self.post("IL", "messages", {"to": "all", "precedence": "routine", "subject": "s", "body": "b",
                                           "ack_required": True})

    def threat(self, refer_to="IL", by="SY"):
        return self.post(by, "threats", {"category": "c", "geometry": {"type": "Point", "coordinates": [36.0, 33.0]},
                                         "observed_at": now(), "description": "d", "confidence": "low",
                                         "refer_to": refer_to})

    def dispute(self, by="SY", against="IL"):
        return self.post(by, "disputes", {"against": against, "subject": "s", "description": "d"})

    def series(self):
        return self.post("AZ", "meetings/series", {"title": "t", "venue": "Baku", "host": "AZ",
                                                   "start": now(-60 * 24 * 14), "duration": "PT1H",
                                                   "rrule": "FREQ=DAILY;COUNT=30"})

    def held_meeting(self):
        s = self.series()
        r = self.srv.get(f"/v1/tracks/{T}/meetings?from={now(-60 * 24 * 14 - 1)}&to={now(-60)}", self.tok["AZ"])
        items = [m for m in r.json()["items"] if m["series"] == s["id"]]
        return items[0]

    def action(self, owner="IL"):
        m = self.held_meeting()
        r = self.srv.post(f"/v1/tracks/{T}/meetings/{m['id']}/minutes", self.tok["AZ"],
                          {"text": "t", "decisions": [], "actions": [{"owner": owner, "text": "do", "due": now(60)}]})
        assert r.status_code in (200, 201), r.text
        return self.srv.get(f"/v1/tracks/{T}/actions", self.tok["AZ"]).json()["items"][-1]


def zone_body(w):
    return {"kind": "influence", "name": "z", "geometry": w.spot()}


ALL_WRITERS = {"principal", "mediator", "supervisor"}

# (name, method, path builder, body builder, expected(caller) -> status)
READS = [
    ("track", "GET", lambda w: f"/v1/tracks/{T}", set(MEMBER_ROLES)),
    ("zone in force", "GET", lambda w: f"/v1/tracks/{T}/zones/{w.in_force_zone()['id']}", SEES["zone_in_force"]),
    ("proposed zone", "GET", lambda w: f"/v1/tracks/{T}/zones/{w.proposed_zone()['id']}", SEES["zone_proposed"]),
    ("deployment", "GET", lambda w: f"/v1/tracks/{T}/deployments/{w.deployment()['id']}", SEES["deployment"]),
    ("activity", "GET", lambda w: f"/v1/tracks/{T}/activities/{w.activity()['id']}", SEES["activity"]),
    ("conflict", "GET", lambda w: f"/v1/tracks/{T}/conflicts/{w.conflict()['id']}", SEES["conflict"]),
    ("message", "GET", lambda w: f"/v1/tracks/{T}/messages/{w.message()['id']}", SEES["message_to_all"]),
    ("threat", "GET", lambda w: f"/v1/tracks/{T}/threats/{w.threat()['id']}", SEES["threat"]),
    ("dispute", "GET", lambda w: f"/v1/tracks/{T}/disputes/{w.dispute()['id']}", SEES["dispute"]),
    ("series", "GET", lambda w: f"/v1/tracks/{T}/meetings/series/{w.series()['id']}", SEES["meeting"]),
    ("meeting", "GET", lambda w: f"/v1/tracks/{T}/meetings/{w.held_meeting()['id']}", SEES["meeting"]),
    ("agenda", "GET", lambda w: f"/v1/tracks/{T}/meetings/{w.held_meeting()['id']}/agenda", SEES["meeting"]),
    ("action", "GET", lambda w: f"/v1/tracks/{T}/actions/{w.action()['id']}", SEES["action"]),
    ("calendar", "GET", lambda w: f"/v1/tracks/{T}/calendar.ics", SEES["meeting"]),
]
LIST_SEES["features.geojson"] = SEES["zone_in_force"]
LISTS = [(name, "GET", (lambda n: lambda w: f"/v1/tracks/{T}/{n}")(name), sees) for name, sees in LIST_SEES.items()]

WRITES = [
    # name, path builder, body builder, allowed roles, visibility of the target, success status
    ("declare zone", lambda w: f"/v1/tracks/{T}/zones", zone_body, {"principal"}, set(MEMBER_ROLES), 201),
    ("declare deployment", lambda w: f"/v1/tracks/{T}/deployments",
     lambda w: {"unit": "u", "geometry": w.spot(), "strength": {"troops": 1}}, {"principal"}, set(MEMBER_ROLES), 201),
    ("notify activity", lambda w: f"/v1/tracks/{T}/activities",
     lambda w: {"kind": "uav", "geometry": w.spot(), "altitude": {"min_m": 0, "max_m": 100},
                "window": {"start": now(300), "end": now(360)}}, {"principal"}, set(MEMBER_ROLES), 201),
    ("send message", lambda w: f"/v1/tracks/{T}/messages",
     lambda w: {"to": "all", "precedence": "routine", "subject": "s", "body": "b"},
     ALL_WRITERS, set(MEMBER_ROLES), 201),
    ("report threat", lambda w: f"/v1/tracks/{T}/threats",
     lambda w: {"category": "c", "geometry": {"type": "Point", "coordinates": [36.0, 33.0]}, "observed_at": now(),
                "description": "d", "confidence": "low", "refer_to": "SY"}, {"principal"}, set(MEMBER_ROLES), 201),
    ("open dispute", lambda w: f"/v1/tracks/{T}/disputes",
     lambda w: {"against": "SY", "subject": "s", "description": "d"}, {"principal"}, set(MEMBER_ROLES), 201),
    ("accept zone", lambda w: f"/v1/tracks/{T}/zones/{w.proposed_zone(by='SY')['id']}/accept", lambda w: {},
     {"principal"}, SEES["zone_proposed"], 200),
    ("withdraw own zone", lambda w: f"/v1/tracks/{T}/zones/{w.zone()['id']}", None,
     {"principal"}, SEES["zone_in_force"], 200),
    ("cancel own activity", lambda w: f"/v1/tracks/{T}/activities/{w.activity()['id']}/cancel", lambda w: {},
     {"principal"}, SEES["activity"], 200),
    ("acknowledge conflict", lambda w: f"/v1/tracks/{T}/conflicts/{w.conflict()['id']}/acknowledge", lambda w: {},
     {"principal"}, SEES["conflict"], 200),
    ("waive conflict", lambda w: f"/v1/tracks/{T}/conflicts/{w.conflict()['id']}/resolve",
     lambda w: {"resolution": "waived", "note": "n"}, {"mediator", "supervisor"}, SEES["conflict"], 200),
    ("respond to threat referred to IL", lambda w: f"/v1/tracks/{T}/threats/{w.threat()['id']}/respond",
     lambda w: {"action": "acknowledged", "note": "n"}, {"principal"}, SEES["threat"], 200),
    ("respond to dispute against IL", lambda w: f"/v1/tracks/{T}/disputes/{w.dispute()['id']}/respond",
     lambda w: {"note": "n"}, {"principal"}, SEES["dispute"], 200),
    ("mediate dispute", lambda w: f"/v1/tracks/{T}/disputes/{w.dispute()['id']}/mediate", lambda w: {},
     {"mediator", "supervisor"}, SEES["dispute"], 200),
    ("resolve dispute", lambda w: f"/v1/tracks/{T}/disputes/{w.dispute()['id']}/resolve",
     lambda w: {"outcome": "settled"}, {"mediator", "supervisor"}, SEES["dispute"], 200),
    ("withdraw own dispute", lambda w: f"/v1/tracks/{T}/disputes/{w.dispute(by='IL', against='SY')['id']}/withdraw",
     lambda w: {}, {"principal"}, SEES["dispute"], 200),
    ("ack message to all", lambda w: f"/v1/tracks/{T}/messages/{w.post('SY', 'messages', {'to': 'all', 'precedence': 'flash', 'subject': 's', 'body': 'b'})['id']}/ack",
     lambda w: {}, {"principal", "mediator", "supervisor", "host"}, SEES["message_to_all"], 200),
    ("record minutes", lambda w: f"/v1/tracks/{T}/meetings/{w.held_meeting()['id']}/minutes",
     lambda w: {"text": "t", "decisions": ["d"], "actions": []}, {"principal", "host"}, SEES["meeting"], (200, 201)),
    ("complete own action", lambda w: f"/v1/tracks/{T}/actions/{w.action(owner='IL')['id']}/done", lambda w: {},
     {"principal"}, SEES["action"], 200),
]


def call(srv, tok, caller, method, path, body=None):
    token = tok["viewer"] if caller == "viewer" else tok[caller]
    if method == "GET":
        return srv.get(path, token)
    return srv.call(method, path, token, json_body=body)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("name,method,path,sees", READS, ids=[r[0] for r in READS])
def test_read_one(mx, caller, name, method, path, sees):
    srv, tok = mx
    w = World(srv, tok)
    want = expect_read(caller, sees)
    want = 404 if want is None else want
    if name == "track" and caller == "admin":
        want = 200  # the cell admin sees every track's metadata, no content
    r = call(srv, tok, caller, method, path(w))
    assert r.status_code == want, f"{caller} GET {name}: {r.status_code} {r.text[:200]}"


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("name,method,path,sees", LISTS, ids=[r[0] for r in LISTS])
def test_read_list(mx, caller, name, method, path, sees):
    srv, tok = mx
    w = World(srv, tok)
    want = expect_read(caller, sees)
    want = 403 if want is None else want
    r = call(srv, tok, caller, method, path(w))
    assert r.status_code == want, f"{caller} GET {name}: {r.status_code} {r.text[:200]}"
    if want == 200:
        assert "items" in r.json() or r.json()["type"] == "FeatureCollection"


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("name,path,body,allowed,sees,ok", WRITES, ids=[w[0] for w in WRITES])
def test_write(mx, caller, name, path, body, allowed, sees, ok):
    srv, tok = mx
    w = World(srv, tok)
    target = path(w)
    payload = body(w) if body else None
    want = expect_write(caller, allowed, sees, ok)
    size = srv.log_size()
    method = "DELETE" if body is None else "POST"
    r = call(srv, tok, caller, method, target, payload)
    wants = want if isinstance(want, tuple) else (want,)
    assert r.status_code in wants, f"{caller} {name}: {r.status_code} {r.text[:200]}"
    if r.status_code >= 400:
        assert srv.log_size() == size, f"{caller} {name}: a refused write changed the log"


CELL_ADMIN = [
    ("POST", "/v1/parties", {"id": "ZZ", "name": "z"}),
    ("POST", "/v1/users", {"name": "someone", "party": "IL", "role": "viewer"}),
    ("POST", "/v1/tracks", {"id": "t-x", "name": "x", "members": [{"party": "IL", "role": "principal"}]}),
    ("PATCH", f"/v1/tracks/{T}", {"settings": {"separation_m": 900}}),
]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("method,path,body", CELL_ADMIN, ids=[f"{m} {p}" for m, p, _ in CELL_ADMIN])
def test_cell_administration_is_the_admins_alone(mx, caller, method, path, body):
    srv, tok = mx
    size = srv.log_size()
    r = call(srv, tok, caller, method, path, body)
    if caller == "none":
        assert r.status_code == 401
    elif caller == "admin":
        assert r.status_code in (200, 201), r.text
        if method == "POST" and path == "/v1/parties":
            pass
    else:
        assert r.status_code == 403, f"{caller} {method} {path}: {r.status_code}"
        assert srv.log_size() == size


@pytest.mark.parametrize("caller", CALLERS)
def test_public_and_any_user_endpoints(mx, caller):
    srv, tok = mx
    assert call(srv, tok, caller, "GET", "/v1/health").status_code == 200
    for path in ["/v1/parties", "/v1/log/checkpoint", "/v1/log/key", "/v1/log/entries"]:
        r = call(srv, tok, caller, "GET", path)
        assert r.status_code == (401 if caller == "none" else 200), (caller, path, r.status_code)


@pytest.mark.parametrize("caller", CALLERS)
def test_dry_run_check_is_for_those_who_see_conflicts(mx, caller):
    srv, tok = mx
    w = World(srv, tok)
    body = {"type": "activity", "kind": "uav", "geometry": w.spot(), "altitude": {"min_m": 0, "max_m": 100},
            "window": {"start": now(300), "end": now(360)}}
    size = srv.log_size()
    r = call(srv, tok, caller, "POST", f"/v1/tracks/{T}/check", body)
    want = expect_read(caller, SEES["conflict"])
    assert r.status_code == (403 if want is None else want), (caller, r.status_code, r.text[:200])
    assert srv.log_size() == size


@pytest.mark.parametrize("caller", CALLERS)
def test_event_stream_is_for_members(mx, caller):
    srv, tok = mx
    token = tok["viewer"] if caller == "viewer" else tok[caller]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    import requests
    with requests.get(f"{srv.url}/v1/tracks/{T}/events", headers=headers, stream=True, timeout=10) as r:
        want = {"none": 401, "nonmember": 404, "admin": 200}.get(caller, 200)
        assert r.status_code == want, (caller, r.status_code)
        if want == 200:
            assert r.headers["Content-Type"].startswith("text/event-stream")
