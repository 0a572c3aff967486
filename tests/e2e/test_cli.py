"""The `tansiq` command-line client, end to end.

Three layers:
- against a recording fake server: the exact method, path, headers and JSON body each
  sub-command sends (api.md), and how answers map to exit codes (0, 2, 3, 4);
- against a real tansiqd: every sub-command whose route the server has today, in table and
  --json output;
- against a real tansiqd, for routes that colleagues are still adding: skipped by a probe of the
  built tansiqd until the route exists, then they run by themselves.
"""
import json
import os
import subprocess
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import STORE, TANSIQ, free_port

OK, USAGE, CLIENT, SERVER = 0, 2, 3, 4


# ---- running the CLI ----

def clean_env(home, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "TANSIQ_"))}
    env["HOME"] = str(home)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run(home, url, token, *args, stdin=None, env=None):
    e = clean_env(home, TANSIQ_URL=url, **({"TANSIQ_TOKEN": token} if token else {}))
    e.update(env or {})
    return subprocess.run([TANSIQ, *args], env=e, input=stdin, capture_output=True, text=True, timeout=60)


class Tq:
    """The CLI bound to one server; tq(*args, token=...) → CompletedProcess."""

    def __init__(self, url, home, token=None):
        self.url, self.home, self.token = url, home, token

    def __call__(self, *args, token=None, stdin=None, env=None):
        return run(self.home, self.url, token or self.token, *args, stdin=stdin, env=env)

    def json(self, *args, token=None, stdin=None):
        out = self(*args, "--json", token=token, stdin=stdin)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)


@pytest.fixture
def home(tmp_path):
    h = tmp_path / "home"
    h.mkdir()
    return h


@pytest.fixture
def tq(server, home):
    return Tq(server.url, home)


# ---- a recording fake server ----

class Recorder:
    """Records every request and answers with self.reply = (status, body, content type)."""

    def __init__(self):
        self.requests = []
        self.reply = (200, {"id": "x_1", "status": "ok"}, "application/json")
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def handle_any(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else None
                rec.requests.append({
                    "method": self.command, "path": self.path, "headers": dict(self.headers),
                    "raw": raw, "body": json.loads(raw) if raw else None,
                })
                status, body, ctype = rec.reply
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = handle_any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def last(self):
        return self.requests[-1]


@pytest.fixture
def fake(home):
    rec = Recorder()
    rec.tq = Tq(rec.url, home, "tq_fake")
    yield rec
    rec.close()


@pytest.fixture
def polygon(tmp_path):
    geom = {"type": "Polygon", "coordinates": [[[35.8, 33.0], [36.0, 33.0], [36.0, 33.2], [35.8, 33.2], [35.8, 33.0]]]}
    p = tmp_path / "zone.geojson"
    p.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": geom}, indent=2))
    return str(p), geom


T1, T2, T3 = "2030-01-06T09:00:00Z", "2030-01-06T11:00:00Z", "2030-01-06T12:00:00Z"
POINT = {"type": "Point", "coordinates": [35.82, 33.13]}

# (argv, method, path, body) — the body is exactly what api.md asks for.
BODIES = [
    (["parties", "add", "--id", "IL", "--name", "Israel"], "POST", "/v1/parties", {"id": "IL", "name": "Israel"}),
    (["users", "add", "--name", "il", "--party", "IL", "--role", "operator"], "POST", "/v1/users",
     {"name": "il", "party": "IL", "role": "operator"}),
    (["users", "delete", "usr_1"], "DELETE", "/v1/users/usr_1", None),
    (["tracks", "create", "--id", "il-sy", "--name", "Israel-Syria", "--member", "IL:principal",
      "--member", "SY:principal", "--member", "US:supervisor", "--separation-m", "500", "--time-margin", "PT5M"],
     "POST", "/v1/tracks",
     {"id": "il-sy", "name": "Israel-Syria", "members": [{"party": "IL", "role": "principal"},
                                                         {"party": "SY", "role": "principal"},
                                                         {"party": "US", "role": "supervisor"}],
      "settings": {"separation_m": 500, "time_margin": "PT5M"}}),
    (["tracks", "update", "il-sy", "--ack-flash", "PT2M", "--min-notice", "PT30M"], "PATCH", "/v1/tracks/il-sy",
     {"settings": {"ack_deadline": {"flash": "PT2M"}, "min_notice": "PT30M"}}),
    (["tracks", "update", "il-sy", "--member", "IL:principal", "--member", "SY:observer"], "PATCH", "/v1/tracks/il-sy",
     {"members": [{"party": "IL", "role": "principal"}, {"party": "SY", "role": "observer"}]}),
    (["zones", "accept", "zon_1", "-t", "il-sy"], "POST", "/v1/tracks/il-sy/zones/zon_1/accept", {}),
    (["zones", "reject", "zon_1", "-t", "il-sy", "--reason", "too wide"], "POST",
     "/v1/tracks/il-sy/zones/zon_1/reject", {"reason": "too wide"}),
    (["zones", "withdraw", "zon_1", "-t", "il-sy"], "DELETE", "/v1/tracks/il-sy/zones/zon_1", None),
    (["deployments", "add", "-t", "il-sy", "--unit", "7th Armoured", "--point", "35.82,33.13", "--radius-m", "2000",
      "--troops", "600", "--tanks", "40", "--from", T1],
     "POST", "/v1/tracks/il-sy/deployments",
     {"unit": "7th Armoured", "geometry": POINT, "radius_m": 2000, "strength": {"troops": 600, "tanks": 40},
      "valid": {"from": T1}}),
    (["deployments", "update", "dep_1", "-t", "il-sy", "--tanks", "30", "--until", T3], "PATCH",
     "/v1/tracks/il-sy/deployments/dep_1", {"strength": {"tanks": 30}, "valid": {"until": T3}}),
    (["deployments", "withdraw", "dep_1", "-t", "il-sy"], "DELETE", "/v1/tracks/il-sy/deployments/dep_1", None),
    (["activities", "notify", "-t", "il-sy", "--kind", "uav", "--point", "35.82,33.13", "--radius-m", "3000",
      "--altitude-min", "0", "--altitude-max", "3000", "--start", T1, "--end", T2, "--description", "recce"],
     "POST", "/v1/tracks/il-sy/activities",
     {"kind": "uav", "geometry": POINT, "radius_m": 3000, "altitude": {"min_m": 0, "max_m": 3000},
      "window": {"start": T1, "end": T2}, "description": "recce"}),
    (["activities", "update", "act_1", "-t", "il-sy", "--end", T3], "PATCH", "/v1/tracks/il-sy/activities/act_1",
     {"window": {"end": T3}}),
    (["activities", "cancel", "act_1", "-t", "il-sy"], "POST", "/v1/tracks/il-sy/activities/act_1/cancel", {}),
    (["activities", "ack", "act_1", "-t", "il-sy"], "POST", "/v1/tracks/il-sy/activities/act_1/acknowledge", {}),
    (["check", "-t", "il-sy", "--type", "activity", "--kind", "strike", "--point", "35.82,33.13", "--radius-m", "500",
      "--altitude-min", "0", "--altitude-max", "9000", "--start", T1, "--end", T2],
     "POST", "/v1/tracks/il-sy/check",
     {"type": "activity", "kind": "strike", "geometry": POINT, "radius_m": 500,
      "altitude": {"min_m": 0, "max_m": 9000}, "window": {"start": T1, "end": T2}}),
    (["check", "-t", "il-sy", "--type", "deployment", "--unit", "u", "--point", "35.82,33.13", "--troops", "5",
      "--from", T1],
     "POST", "/v1/tracks/il-sy/check",
     {"type": "deployment", "unit": "u", "geometry": POINT, "strength": {"troops": 5}, "valid": {"from": T1}}),
    (["conflicts", "ack", "cfl_1", "-t", "il-sy"], "POST", "/v1/tracks/il-sy/conflicts/cfl_1/acknowledge", {}),
    (["conflicts", "consent", "cfl_1", "-t", "il-sy"], "POST", "/v1/tracks/il-sy/conflicts/cfl_1/consent", {}),
    (["conflicts", "resolve", "cfl_1", "-t", "il-sy", "--resolution", "waived", "--note", "exercise cancelled"],
     "POST", "/v1/tracks/il-sy/conflicts/cfl_1/resolve", {"resolution": "waived", "note": "exercise cancelled"}),
    (["msg", "send", "-t", "il-sy", "--to", "SY,US", "--precedence", "flash", "--subject", "Hermon",
      "--body", "שלום — مرحبا", "--ref", "activity:act_1", "--ack-required", "no"],
     "POST", "/v1/tracks/il-sy/messages",
     {"to": ["SY", "US"], "precedence": "flash", "subject": "Hermon", "body": "שלום — مرحبا",
      "refs": [{"type": "activity", "id": "act_1"}], "ack_required": False}),
    (["msg", "send", "-t", "il-sy", "--to", "all", "--precedence", "routine", "--subject", "s", "--body", "b"],
     "POST", "/v1/tracks/il-sy/messages", {"to": "all", "precedence": "routine", "subject": "s", "body": "b"}),
    (["msg", "ack", "msg_1", "-t", "il-sy"], "POST", "/v1/tracks/il-sy/messages/msg_1/ack", {}),
    (["threats", "report", "-t", "il-sy", "--category", "ied", "--point", "35.82,33.13", "--observed-at", T1,
      "--description", "seen", "--confidence", "high", "--refer-to", "SY", "--respond-by", T2],
     "POST", "/v1/tracks/il-sy/threats",
     {"category": "ied", "geometry": POINT, "observed_at": T1, "description": "seen", "confidence": "high",
      "refer_to": "SY", "respond_by": T2}),
    (["threats", "respond", "thr_1", "-t", "il-sy", "--action", "neutralized", "--note", "done"],
     "POST", "/v1/tracks/il-sy/threats/thr_1/respond", {"action": "neutralized", "note": "done"}),
    (["disputes", "open", "-t", "il-sy", "--against", "SY", "--subject", "s", "--description", "d",
      "--ref", "conflict:cfl_1"],
     "POST", "/v1/tracks/il-sy/disputes",
     {"against": "SY", "subject": "s", "description": "d", "refs": [{"type": "conflict", "id": "cfl_1"}]}),
    (["disputes", "respond", "dsp_1", "-t", "il-sy", "--note", "n"], "POST",
     "/v1/tracks/il-sy/disputes/dsp_1/respond", {"note": "n"}),
    (["disputes", "mediate", "dsp_1", "-t", "il-sy"], "POST", "/v1/tracks/il-sy/disputes/dsp_1/mediate", {}),
    (["disputes", "resolve", "dsp_1", "-t", "il-sy", "--outcome", "agreed"], "POST",
     "/v1/tracks/il-sy/disputes/dsp_1/resolve", {"outcome": "agreed"}),
    (["disputes", "withdraw", "dsp_1", "-t", "il-sy"], "POST", "/v1/tracks/il-sy/disputes/dsp_1/withdraw", {}),
    (["meetings", "series-add", "-t", "tr-il", "--title", "Deconfliction", "--venue", "Baku", "--host", "AZ",
      "--start", T1, "--duration", "PT2H", "--rrule", "FREQ=WEEKLY;BYDAY=TU;COUNT=4"],
     "POST", "/v1/tracks/tr-il/meetings/series",
     {"title": "Deconfliction", "venue": "Baku", "host": "AZ", "start": T1, "duration": "PT2H",
      "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=4"}),
    (["meetings", "minutes", "mtg_1:20300106T090000Z", "-t", "tr-il", "--text", "Met.", "--decision", "Extend",
      "--decision", "Review", "--action", "TR,2030-01-13T09:00:00Z,Send maps"],
     "POST", "/v1/tracks/tr-il/meetings/mtg_1:20300106T090000Z/minutes",
     {"text": "Met.", "decisions": ["Extend", "Review"],
      "actions": [{"owner": "TR", "due": "2030-01-13T09:00:00Z", "text": "Send maps"}]}),
    (["actions", "done", "act_9", "-t", "tr-il"], "POST", "/v1/tracks/tr-il/actions/act_9/done", {}),
]


@pytest.mark.parametrize("argv,method,path,body", BODIES, ids=[" ".join(b[0][:2]) for b in BODIES])
def test_request_matches_the_contract(fake, argv, method, path, body):
    out = fake.tq(*argv)
    assert out.returncode == OK, out.stderr
    req = fake.last
    assert (req["method"], req["path"]) == (method, path)
    assert req["body"] == body
    assert req["headers"]["Authorization"] == "Bearer tq_fake"
    if body is not None:
        assert req["headers"]["Content-Type"] == "application/json; charset=utf-8"


def test_zone_body_takes_the_geometry_from_a_feature_file(fake, polygon):
    path, geom = polygon
    out = fake.tq("zones", "add", "-t", "il-sy", "--kind", "limitation", "--name", "10 km", "--geometry", path,
                  "--altitude-min", "0", "--altitude-max", "5000", "--from", T1, "--until", T3, "--owner", "SY",
                  "--troops", "6000", "--tanks", "75", "--artillery", "36", "--air-defense", "0")
    assert out.returncode == OK, out.stderr
    assert fake.last["path"] == "/v1/tracks/il-sy/zones"
    assert fake.last["body"] == {
        "kind": "limitation", "name": "10 km", "geometry": geom, "altitude": {"min_m": 0, "max_m": 5000},
        "valid": {"from": T1, "until": T3}, "owner": "SY",
        "caps": {"troops": 6000, "tanks": 75, "artillery": 36, "air_defense": 0}}


def test_geometry_can_come_from_stdin(fake, polygon):
    path, geom = polygon
    with open(path) as f:
        text = f.read()
    out = fake.tq("zones", "add", "-t", "il-sy", "--kind", "base", "--name", "b", "--geometry", "-", stdin=text)
    assert out.returncode == OK, out.stderr
    assert fake.last["body"]["geometry"] == geom


def test_data_fields_are_merged_under_the_options(fake):
    out = fake.tq("parties", "add", "--data", '{"id": "XX", "name": "from data", "public_key": "k"}', "--name", "opt")
    assert out.returncode == OK, out.stderr
    assert fake.last["body"] == {"id": "XX", "name": "opt", "public_key": "k"}


def test_message_body_file_is_sent_byte_exact(fake, tmp_path):
    text = "Türkçe\nРусский\r\nעברית\tالعربية\n"
    p = tmp_path / "body.txt"
    p.write_bytes(text.encode())
    out = fake.tq("msg", "send", "-t", "il-sy", "--to", "SY", "--precedence", "routine", "--subject", "s",
                  "--body-file", str(p))
    assert out.returncode == OK, out.stderr
    assert fake.last["body"]["body"] == text


def test_relative_times_become_utc(fake):
    out = fake.tq("activities", "notify", "-t", "il-sy", "--kind", "uav", "--point", "35,33", "--radius-m", "1",
                  "--altitude-min", "0", "--altitude-max", "1", "--start", "now+PT2H", "--end", "now+P1D")
    assert out.returncode == OK, out.stderr
    w = fake.last["body"]["window"]
    start = datetime.fromisoformat(w["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(w["end"].replace("Z", "+00:00"))
    assert w["start"].endswith("Z")
    assert abs(start - datetime.now(timezone.utc) - timedelta(hours=2)) < timedelta(minutes=1)
    assert end - start == timedelta(hours=22)


def test_list_filters_become_query_parameters(fake):
    fake.reply = (200, {"items": [], "next": None}, "application/json")
    assert fake.tq("zones", "list", "-t", "il-sy", "--kind", "base", "--status", "in_force", "--at", T1,
                   "--bbox", "35,32,37,34", "--limit", "5").returncode == OK
    assert fake.last["path"] == ("/v1/tracks/il-sy/zones?kind=base&status=in_force&at=2030-01-06T09%3A00%3A00Z"
                                 "&bbox=35%2C32%2C37%2C34&limit=5")
    assert fake.tq("msg", "list", "-t", "il-sy", "--after-seq", "7").returncode == OK
    assert fake.last["path"] == "/v1/tracks/il-sy/messages?after_seq=7"
    assert fake.tq("meetings", "list", "-t", "tr-il", "--from", T1, "--to", T3).returncode == OK
    assert fake.last["path"] == "/v1/tracks/tr-il/meetings?from=2030-01-06T09%3A00%3A00Z&to=2030-01-06T12%3A00%3A00Z"
    assert fake.tq("conflicts", "list", "-t", "il-sy", "--status", "open", "--party", "SY").returncode == OK
    assert fake.last["path"] == "/v1/tracks/il-sy/conflicts?status=open&party=SY"
    assert fake.tq("log", "entries", "--from", "3", "--to", "9").returncode == OK
    assert fake.last["path"] == "/v1/log/entries?from=3&to=9"


def test_ids_and_tracks_are_escaped_in_the_path(fake):
    assert fake.tq("zones", "show", "a/b?c", "-t", "il sy").returncode == OK
    assert fake.last["path"] == "/v1/tracks/il%20sy/zones/a%2Fb%3Fc"


def test_idempotency_key_and_if_match_headers(fake):
    assert fake.tq("parties", "add", "--id", "IL", "--name", "I", "--idempotency-key", "k-1").returncode == OK
    assert fake.last["headers"]["Idempotency-Key"] == "k-1"
    assert fake.tq("tracks", "update", "il-sy", "--separation-m", "1", "--if-match", "3").returncode == OK
    assert fake.last["headers"]["If-Match"] == "3"
    assert "Idempotency-Key" not in fake.last["headers"]


def test_raw_answers_are_written_byte_exact(fake, tmp_path):
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    fake.reply = (200, ics, "text/calendar")
    out_file = tmp_path / "cal.ics"
    assert fake.tq("calendar", "-t", "tr-il", "-o", str(out_file)).returncode == OK
    assert fake.last["path"] == "/v1/tracks/tr-il/calendar.ics"
    assert out_file.read_bytes() == ics
    fake.reply = (200, b'{"type":"FeatureCollection","features":[]}', "application/geo+json")
    out = fake.tq("export", "-t", "il-sy", "--at", T1)
    assert out.returncode == OK
    assert fake.last["path"] == "/v1/tracks/il-sy/features.geojson?at=2030-01-06T09%3A00%3A00Z"
    assert out.stdout == '{"type":"FeatureCollection","features":[]}'


def test_list_all_follows_next_until_null(fake):
    pages = {None: ({"items": [{"id": "A"}], "next": "A"}), "A": {"items": [{"id": "B"}], "next": None}}
    orig = fake.httpd.RequestHandlerClass.handle_any

    def paged(handler):
        cursor = handler.path.split("after=")[1] if "after=" in handler.path else None
        fake.reply = (200, pages[cursor], "application/json")
        orig(handler)

    fake.httpd.RequestHandlerClass.do_GET = paged
    out = fake.tq("parties", "list", "--all", "--json")
    assert out.returncode == OK, out.stderr
    assert json.loads(out.stdout) == {"items": [{"id": "A"}, {"id": "B"}], "next": None}
    assert [r["path"] for r in fake.requests] == ["/v1/parties", "/v1/parties?after=A"]


# ---- exit codes and error reports ----

def test_problem_answers_exit_3_with_the_detail_and_field_errors(fake):
    fake.reply = (422, {"type": "about:blank", "title": "Unprocessable Content", "status": 422,
                        "detail": "invalid geometry", "errors": [{"field": "geometry", "message": "self-intersects"}]},
                  "application/problem+json")
    out = fake.tq("parties", "add", "--id", "IL", "--name", "x")
    assert out.returncode == CLIENT
    assert "error: 422 Unprocessable Content: invalid geometry" in out.stderr
    assert "  geometry: self-intersects" in out.stderr


def test_server_errors_exit_4(fake):
    fake.reply = (500, {"type": "about:blank", "title": "Internal Server Error", "status": 500}, "application/problem+json")
    out = fake.tq("parties", "list")
    assert out.returncode == SERVER
    assert "error: 500" in out.stderr


def test_server_text_is_escaped_on_the_terminal(fake):
    fake.reply = (200, {"id": "IL", "name": "Evil\u001b]0;pwned\u0007"}, "application/json")
    out = fake.tq("parties", "show", "IL")
    assert out.returncode == OK
    assert "\x1b" not in out.stdout and "\x07" not in out.stdout
    assert "Evil\\x1b]0;pwned\\x07" in out.stdout


def test_invalid_json_from_the_server_exits_4(fake):
    fake.reply = (200, b"{not json", "application/json")
    out = fake.tq("parties", "show", "IL")
    assert out.returncode == SERVER
    assert "invalid JSON" in out.stderr


@pytest.mark.parametrize("argv,message", [
    (["bogus"], "unknown command"),
    (["parties", "bogus"], "unknown command"),
    (["parties", "show"], "needs exactly one ID"),
    (["parties", "add", "--id", "IL"], "missing --name"),
    (["zones", "list"], "needs a track"),
    (["activities", "notify", "-t", "x", "--kind", "uav", "--point", "35,33", "--altitude-min", "0",
      "--altitude-max", "1", "--start", "yesterday", "--end", T2], "not an RFC 3339 time"),
    (["tracks", "update", "x", "--time-margin", "10 minutes"], "not an ISO 8601 duration"),
    (["deployments", "add", "-t", "x", "--unit", "u", "--point", "east", "--from", T1], "not LON,LAT"),
    (["zones", "add", "-t", "x", "--kind", "base", "--name", "n", "--geometry", "/nonexistent.geojson"], "cannot open"),
    (["parties", "add", "--data", "[1]"], "must be a JSON object"),
    (["parties", "list", "--if-match", "abc"], "--if-match needs a version number"),
    (["msg", "send", "-t", "x", "--to", "all", "--precedence", "flash", "--subject", "s", "--body", "b",
      "--ack-required", "maybe"], "not true or false"),
    (["check", "-t", "x", "--type", "volcano"], "not zone, deployment or activity"),
    (["watch", "--count", "0"], "--count needs a positive number"),
])
def test_usage_errors_exit_2_and_send_nothing(fake, argv, message):
    out = fake.tq(*argv)
    assert out.returncode == USAGE, out.stderr
    assert message in out.stderr
    assert fake.requests == []


def test_connection_refused_exits_4(home):
    out = Tq(f"http://127.0.0.1:{free_port()}", home, "tq_x")("parties", "list")
    assert out.returncode == SERVER
    assert "error: network" in out.stderr


def test_non_http_url_is_a_usage_error(home):
    out = Tq("ftp://127.0.0.1:21", home, "tq_x")("health")
    assert out.returncode == USAGE


def test_help_exits_0_and_lists_the_exit_codes(home):
    out = Tq("http://127.0.0.1:1", home)("--help")
    assert out.returncode == OK
    assert "exit codes:" in out.stdout and "5  tansiq verify" in out.stdout
    out = Tq("http://127.0.0.1:1", home)("zones", "add", "--help")
    assert out.returncode == OK and "--geometry" in out.stdout
    assert Tq("http://127.0.0.1:1", home)().returncode == USAGE


# ---- settings: config file < environment < options ----

def test_settings_precedence(fake, home, tmp_path):
    cfg = home / ".config" / "tansiq"
    cfg.mkdir(parents=True)
    (cfg / "config").write_text(f"# comment\nurl = {fake.url}\ntoken = tq_from_file\ntrack = from-file\n")
    os.chmod(cfg / "config", 0o600)
    e = clean_env(home)
    out = subprocess.run([TANSIQ, "zones", "list"], env=e, capture_output=True, text=True, timeout=30)
    assert out.returncode == OK, out.stderr
    assert fake.last["path"] == "/v1/tracks/from-file/zones"
    assert fake.last["headers"]["Authorization"] == "Bearer tq_from_file"
    e.update(TANSIQ_TOKEN="tq_from_env", TANSIQ_TRACK="from-env")
    subprocess.run([TANSIQ, "zones", "list"], env=e, capture_output=True, timeout=30)
    assert fake.last["path"] == "/v1/tracks/from-env/zones"
    assert fake.last["headers"]["Authorization"] == "Bearer tq_from_env"
    subprocess.run([TANSIQ, "--token", "tq_opt", "zones", "list", "-t", "from-opt"], env=e, capture_output=True,
                   timeout=30)
    assert fake.last["path"] == "/v1/tracks/from-opt/zones"
    assert fake.last["headers"]["Authorization"] == "Bearer tq_opt"


def test_malformed_config_file_is_a_usage_error(home):
    cfg = home / ".config" / "tansiq"
    cfg.mkdir(parents=True)
    (cfg / "config").write_text("url = http://x\ncolour = blue\n")
    out = subprocess.run([TANSIQ, "health"], env=clean_env(home), capture_output=True, text=True, timeout=30)
    assert out.returncode == USAGE
    assert "line 2" in out.stderr


# ---- against a real tansiqd: the routes that exist today ----

def test_health_needs_no_token(server, home):
    tq = Tq(server.url, home)
    out = tq("health")
    assert out.returncode == OK
    assert "status: ok" in out.stdout and f"log_size: {server.log_size()}" in out.stdout
    j = tq.json("health")
    assert j["status"] == "ok" and j["store"] == STORE


def test_parties_list_show_add(cell, server, tq):
    out = tq("parties", "list", token=cell["IL"])
    assert out.returncode == OK
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME"]
    assert [ln.split()[0] for ln in lines[1:]] == ["AZ", "IL", "RU", "SY", "TR", "US"]
    assert "Türkiye" in out.stdout
    j = tq.json("parties", "list", token=cell["IL"])
    assert [p["id"] for p in j["items"]] == ["AZ", "IL", "RU", "SY", "TR", "US"] and j["next"] is None
    assert tq.json("parties", "show", "SY", token=cell["IL"])["name"] == "Syria"
    out = tq("parties", "show", "XX", token=cell["IL"])
    assert out.returncode == CLIENT and "error: 404" in out.stderr

    size = server.log_size()
    j = tq.json("parties", "add", "--id", "EG", "--name", "Egypt", token=cell.admin)
    assert j["id"] == "EG" and j["version"] == 1
    assert server.log_size() == size + 1
    assert server.get("/v1/parties/EG", cell["IL"]).json()["name"] == "Egypt"


def test_refusals_exit_3_and_change_nothing(cell, server, tq):
    size = server.log_size()
    out = tq("parties", "add", "--id", "IL", "--name", "again", token=cell.admin)
    assert out.returncode == CLIENT and "error: 409" in out.stderr
    out = tq("parties", "add", "--id", "QQ", "--name", "by an operator", token=cell["IL"])
    assert out.returncode == CLIENT and "error: 403" in out.stderr
    out = tq("parties", "add", "--id", "lower", "--name", "x", token=cell.admin)
    assert out.returncode == CLIENT and "error: 422" in out.stderr and "  id: " in out.stderr
    out = tq("parties", "list", token="tq_unknown")
    assert out.returncode == CLIENT and "error: 401" in out.stderr
    out = tq("tracks", "create", "--id", "x-y", "--name", "XY", "--member", "ZZ:principal", token=cell.admin)
    assert out.returncode == CLIENT and "error: 422" in out.stderr
    assert server.log_size() == size


def test_list_pages_with_limit_after_and_all(cell, tq):
    out = tq("parties", "list", "--limit", "4", token=cell["IL"])
    assert out.returncode == OK
    assert [ln.split()[0] for ln in out.stdout.splitlines()[1:]] == ["AZ", "IL", "RU", "SY"]
    assert "next: --after SY" in out.stderr
    j = tq.json("parties", "list", "--limit", "4", "--after", "SY", token=cell["IL"])
    assert [p["id"] for p in j["items"]] == ["TR", "US"]
    j = tq.json("parties", "list", "--limit", "2", "--all", token=cell["IL"])
    assert [p["id"] for p in j["items"]] == ["AZ", "IL", "RU", "SY", "TR", "US"] and j["next"] is None
    out = tq("parties", "list", "--limit", "0", token=cell["IL"])
    assert out.returncode == CLIENT and "error: 400" in out.stderr


def test_users_add_prints_a_working_token_and_delete_revokes_it(cell, server, tq):
    j = tq.json("users", "add", "--name", "il2", "--party", "IL", "--role", "viewer", token=cell.admin)
    token = j["token"]
    assert token.startswith("tq_")
    assert tq("tracks", "list", token=token).returncode == OK
    out = tq("users", "delete", j["id"], token=cell.admin)
    assert out.returncode == OK and out.stdout.strip() == "ok"
    out = tq("tracks", "list", token=token)
    assert out.returncode == CLIENT and "error: 401" in out.stderr
    out = tq("users", "delete", j["id"], token=cell.admin)
    assert out.returncode == CLIENT and "error: 404" in out.stderr
    out = tq("users", "add", "--name", "x", "--party", "IL", "--role", "king", token=cell.admin)
    assert out.returncode == CLIENT


def test_tracks_list_show_create_update(cell, server, tq):
    out = tq("tracks", "list", token=cell["IL"])
    assert out.returncode == OK
    rows = {ln.split()[0]: ln.split() for ln in out.stdout.splitlines()[1:]}
    assert set(rows) == {"il-sy", "tr-il", "ru-il"}
    assert rows["il-sy"][2] == "principal"
    j = tq.json("tracks", "list", token=cell["US"])
    assert [(t["id"], t["my_role"]) for t in j["items"]] == [("il-sy", "supervisor")]
    out = tq("tracks", "show", "tr-il", token=cell["IL"])
    assert out.returncode == OK and "settings.separation_m: 1000" in out.stdout
    out = tq("tracks", "show", "tr-il", token=cell["SY"])  # not a member: the same 404 as a missing track
    assert out.returncode == CLIENT and "error: 404" in out.stderr

    j = tq.json("tracks", "create", "--id", "sy-tr", "--name", "Syria-Türkiye", "--member", "SY:principal",
                "--member", "TR:principal", "--member", "RU:mediator", "--separation-m", "2500",
                "--ack-flash", "PT2M", token=cell.admin)
    assert j["settings"]["separation_m"] == 2500 and j["settings"]["ack_deadline"]["flash"] == "PT2M"
    assert j["settings"]["ack_deadline"]["routine"] == "P1D"
    assert [m["party"] for m in j["members"]] == ["SY", "TR", "RU"]
    j = tq.json("tracks", "update", "sy-tr", "--time-margin", "PT5M", "--if-match", "1", token=cell.admin)
    assert j["settings"]["time_margin"] == "PT5M" and j["settings"]["separation_m"] == 2500 and j["version"] == 2
    size = server.log_size()
    out = tq("tracks", "update", "sy-tr", "--time-margin", "PT6M", "--if-match", "1", token=cell.admin)
    assert out.returncode == CLIENT and "error: 409" in out.stderr
    assert server.log_size() == size


def test_idempotency_key_replays_the_first_answer(cell, server, tq):
    first = tq.json("parties", "add", "--id", "JO", "--name", "Jordan", "--idempotency-key", "k1", token=cell.admin)
    size = server.log_size()
    again = tq.json("parties", "add", "--id", "JO", "--name", "Jordan", "--idempotency-key", "k1", token=cell.admin)
    assert again == first and server.log_size() == size
    out = tq("parties", "add", "--id", "JO", "--name", "Other", "--idempotency-key", "k1", token=cell.admin)
    assert out.returncode == CLIENT and "error: 409" in out.stderr


def test_log_checkpoint_key_and_entries(cell, server, tq, tmp_path):
    out = tq("log", "checkpoint", token=cell["IL"])
    assert out.returncode == OK
    assert out.stdout == server.get("/v1/log/checkpoint", cell["IL"]).text
    f = tmp_path / "cp.txt"
    assert tq("log", "checkpoint", "-o", str(f), token=cell["IL"]).returncode == OK
    assert f.read_text().split("\n")[1] == str(server.log_size())
    key = server.get("/v1/log/key", cell["IL"]).json()
    assert tq.json("log", "key", token=cell["IL"]) == key
    out = tq("log", "key", token=cell["IL"])
    assert f"vkey: {key['vkey']}" in out.stdout and f"origin: {key['origin']}" in out.stdout

    api = server.get("/v1/log/entries?limit=1000", cell["IL"]).json()["items"]
    j = tq.json("log", "entries", "--all", token=cell["IL"])
    assert j["items"] == api
    out = tq("log", "entries", "--from", "2", "--to", "6", token=cell["IL"])
    assert out.returncode == OK
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["INDEX", "EVENT", "LEAF", "HASH"]
    shown = [int(ln.split()[0]) for ln in lines[1:]]
    assert shown == [e["index"] for e in api if 2 <= e["index"] < 6]
    out = tq("log", "entries", "--from", "x", token=cell["IL"])
    assert out.returncode == USAGE


def test_verify_in_both_output_modes(cell, server, tq):
    out = tq("verify", token=cell["IL"])
    assert out.returncode == OK, out.stdout + out.stderr
    assert "OK:   signature" in out.stdout and "verified: log size" in out.stdout
    j = tq.json("verify", token=cell["IL"])
    assert j["ok"] is True and j["size"] == server.log_size()


def test_unknown_route_exits_3(cell, tq):
    # A sub-command whose route the server does not have answers 404 → exit 3, not a crash.
    out = tq("zones", "show", "zon_nothing", "-t", "il-sy", token=cell["IL"])
    assert out.returncode == CLIENT and "error: 404" in out.stderr


# ---- against a real tansiqd: every resource's sub-commands ----

def needs(route):
    """Every route of the contract is served now; kept as a label of what each test drives."""
    return pytest.mark.usefixtures()


def in_hours(h):
    return (datetime.now(timezone.utc) + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ")


@needs("zones")
def test_zones_flow(cell, server, tq, polygon):
    path, _ = polygon
    j = tq.json("zones", "add", "-t", "il-sy", "--kind", "influence", "--name", "Hermon", "--geometry", path,
                token=cell["IL"])
    assert j["status"] == "in_force" and j["owner"] == "IL" and isinstance(j["conflicts"], list)
    zid = j["id"]
    out = tq("zones", "list", "-t", "il-sy", token=cell["SY"])
    assert out.returncode == OK and zid in out.stdout and "influence" in out.stdout
    assert tq.json("zones", "show", zid, "-t", "il-sy", token=cell["SY"])["name"] == "Hermon"
    dmz = tq.json("zones", "add", "-t", "il-sy", "--kind", "demilitarized", "--name", "South", "--geometry", path,
                  token=cell["IL"])
    assert dmz["status"] == "proposed"
    # The declaring principal's acceptance may be implied by its declaration; the other one accepts.
    if "IL" not in dmz["accepted_by"]:
        tq.json("zones", "accept", dmz["id"], "-t", "il-sy", token=cell["IL"])
    assert tq.json("zones", "accept", dmz["id"], "-t", "il-sy", token=cell["SY"])["status"] == "in_force"
    size = server.log_size()
    out = tq("zones", "withdraw", zid, "-t", "il-sy", token=cell["SY"])  # not the declaring party
    assert out.returncode == CLIENT and server.log_size() == size
    assert tq("zones", "withdraw", zid, "-t", "il-sy", token=cell["IL"]).returncode == OK
    assert tq.json("zones", "show", zid, "-t", "il-sy", token=cell["IL"])["status"] == "withdrawn"
    out = tq("zones", "list", "-t", "il-sy", token=cell["TR"])  # not a member
    assert out.returncode == CLIENT and "error: 404" in out.stderr


@needs("deployments")
def test_deployments_flow(cell, server, tq):
    j = tq.json("deployments", "add", "-t", "il-sy", "--unit", "90th", "--point", "35.82,33.13", "--radius-m", "1000",
                "--troops", "500", "--tanks", "10", "--from", in_hours(0), token=cell["SY"])
    did = j["id"]
    assert j["strength"]["troops"] == 500
    out = tq("deployments", "list", "-t", "il-sy", token=cell["IL"])
    assert out.returncode == OK and did in out.stdout
    j = tq.json("deployments", "update", did, "-t", "il-sy", "--tanks", "5", token=cell["SY"])
    assert j["strength"]["tanks"] == 5
    assert tq("deployments", "withdraw", did, "-t", "il-sy", token=cell["SY"]).returncode == OK
    assert tq.json("deployments", "show", did, "-t", "il-sy", token=cell["IL"])["status"] == "withdrawn"


def notify(tq, token, kind="uav", point="35.82,33.13", start=3, end=5):
    return tq.json("activities", "notify", "-t", "il-sy", "--kind", kind, "--point", point, "--radius-m", "3000",
                   "--altitude-min", "0", "--altitude-max", "3000", "--start", in_hours(start), "--end", in_hours(end),
                   token=token)


@needs("activities")
def test_activities_flow(cell, server, tq):
    a = notify(tq, cell["IL"])
    assert a["status"] == "notified" and a["short_notice"] is False
    out = tq("activities", "list", "-t", "il-sy", token=cell["SY"])
    assert out.returncode == OK and a["id"] in out.stdout
    assert tq("activities", "ack", a["id"], "-t", "il-sy", token=cell["SY"]).returncode == OK
    assert tq.json("activities", "cancel", a["id"], "-t", "il-sy", token=cell["IL"])["status"] == "cancelled"
    size = server.log_size()
    out = tq("activities", "cancel", a["id"], "-t", "il-sy", token=cell["IL"])
    assert out.returncode == CLIENT and "error: 409" in out.stderr and server.log_size() == size


@needs("check")
def test_check_is_a_dry_run(cell, server, tq):
    size = server.log_size()
    j = tq.json("check", "-t", "il-sy", "--type", "activity", "--kind", "uav", "--point", "35.82,33.13",
                "--radius-m", "1000", "--altitude-min", "0", "--altitude-max", "100", "--start", in_hours(3),
                "--end", in_hours(4), token=cell["IL"])
    assert j == {"conflicts": []} or isinstance(j["conflicts"], list)
    assert server.log_size() == size


@needs("conflicts")
def test_conflicts_of_overlapping_activities(cell, server, tq):
    notify(tq, cell["IL"])
    b = notify(tq, cell["SY"])
    assert [c["kind"] for c in b["conflicts"]] == ["activity_overlap"]
    out = tq("conflicts", "list", "-t", "il-sy", "--status", "open", token=cell["IL"])
    cid = b["conflicts"][0]["id"]
    assert out.returncode == OK and cid in out.stdout and "activity_overlap" in out.stdout
    tq.json("conflicts", "ack", cid, "-t", "il-sy", token=cell["IL"])
    j = tq.json("conflicts", "resolve", cid, "-t", "il-sy", "--resolution", "waived", "--note", "ok", token=cell["US"])
    assert j["status"] == "resolved"


@needs("messages")
def test_hotline_flow(cell, server, tq):
    j = tq.json("msg", "send", "-t", "il-sy", "--to", "SY", "--precedence", "flash", "--subject", "Hermon",
                "--body", "שלום — مرحبا", token=cell["IL"])
    assert j["seq"] >= 1 and "ack_due" in j
    out = tq("msg", "list", "-t", "il-sy", token=cell["SY"])
    assert out.returncode == OK and j["id"] in out.stdout
    assert tq.json("msg", "show", j["id"], "-t", "il-sy", token=cell["SY"])["body"] == "שלום — مرحبا"
    assert tq("msg", "ack", j["id"], "-t", "il-sy", token=cell["SY"]).returncode == OK
    out = tq("msg", "send", "-t", "il-sy", "--to", "TR", "--precedence", "routine", "--subject", "s", "--body", "b",
             token=cell["IL"])
    assert out.returncode == CLIENT and "error: 422" in out.stderr


@needs("threats")
def test_threats_flow(cell, server, tq):
    j = tq.json("threats", "report", "-t", "il-sy", "--category", "uav_launch", "--point", "36.1,32.62",
                "--observed-at", in_hours(-1), "--description", "launch site", "--confidence", "high",
                "--refer-to", "SY", token=cell["IL"])
    assert j["status"] == "referred"
    out = tq("threats", "list", "-t", "il-sy", token=cell["SY"])
    assert out.returncode == OK and j["id"] in out.stdout
    j2 = tq.json("threats", "respond", j["id"], "-t", "il-sy", "--action", "neutralized", "--note", "done",
                 token=cell["SY"])
    assert j2["status"] == "neutralized"
    size = server.log_size()
    out = tq("threats", "respond", j["id"], "-t", "il-sy", "--action", "unable", token=cell["SY"])
    assert out.returncode == CLIENT and "error: 409" in out.stderr and server.log_size() == size
    out = tq("threats", "report", "-t", "il-sy", "--category", "c", "--point", "36.1,32.62", "--observed-at",
             in_hours(-1), "--description", "d", "--confidence", "high", "--refer-to", "TR", token=cell["IL"])
    assert out.returncode == CLIENT and "error: 422" in out.stderr


@needs("disputes")
def test_disputes_flow(cell, server, tq):
    j = tq.json("disputes", "open", "-t", "il-sy", "--against", "SY", "--subject", "Overflight",
                "--description", "over Quneitra", token=cell["IL"])
    assert j["status"] == "open" and j["respond_by"] and j["resolve_by"]
    did = j["id"]
    out = tq("disputes", "list", "-t", "il-sy", token=cell["RU"])
    assert out.returncode == OK and did in out.stdout
    assert tq.json("disputes", "respond", did, "-t", "il-sy", "--note", "no", token=cell["SY"])["status"] == "responded"
    assert tq.json("disputes", "mediate", did, "-t", "il-sy", token=cell["RU"])["status"] == "in_mediation"
    assert tq.json("disputes", "resolve", did, "-t", "il-sy", "--outcome", "agreed", token=cell["RU"])["status"] == "resolved"
    out = tq("disputes", "withdraw", did, "-t", "il-sy", token=cell["IL"])
    assert out.returncode == CLIENT and "error: 409" in out.stderr


@needs("meetings")
def test_meetings_flow(cell, server, tq):
    # The first meeting was yesterday, so that its minutes may be written now.
    start = (datetime.now(timezone.utc) - timedelta(days=1)).replace(microsecond=0, second=0, minute=0)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    j = tq.json("meetings", "series-add", "-t", "tr-il", "--title", "Deconfliction", "--venue", "Baku", "--host", "AZ",
                "--start", start.strftime(fmt), "--duration", "PT2H",
                "--rrule", "FREQ=WEEKLY;COUNT=3", token=cell["TR"])
    assert j["id"]
    occ = tq.json("meetings", "list", "-t", "tr-il", "--from", (start - timedelta(hours=1)).strftime(fmt),
                  "--to", (start + timedelta(days=30)).strftime(fmt), "--all", token=cell["AZ"])["items"]
    assert len(occ) == 3 and occ[0]["venue"] == "Baku"
    assert isinstance(tq.json("meetings", "agenda", occ[0]["id"], "-t", "tr-il", token=cell["AZ"]), dict)
    m = tq("meetings", "minutes", occ[0]["id"], "-t", "tr-il", "--text", "Met.", "--decision", "Extend",
           "--action", f"TR,{in_hours(48)},Send maps", token=cell["AZ"])
    assert m.returncode == OK, m.stderr


@needs("calendar")
def test_calendar_writes_ics(cell, server, tq, tmp_path):
    f = tmp_path / "tr-il.ics"
    out = tq("calendar", "-t", "tr-il", "-o", str(f), token=cell["AZ"])
    assert out.returncode == OK, out.stderr
    assert f.read_bytes().startswith(b"BEGIN:VCALENDAR")


@needs("export")
def test_export_writes_geojson(cell, server, tq):
    out = tq("export", "-t", "il-sy", token=cell["IL"])
    assert out.returncode == OK, out.stderr
    assert json.loads(out.stdout)["type"] == "FeatureCollection"


@needs("events")
def test_watch_replays_events_after_an_index(cell, server, tq):
    r = server.call("PATCH", "/v1/tracks/il-sy", cell.admin, json_body={"settings": {"separation_m": 900}})
    assert r.status_code == 200
    out = tq("watch", "-t", "il-sy", "--after", "0", "--count", "1", "--json", token=cell["IL"])
    assert out.returncode == OK, out.stderr
    ev = json.loads(out.stdout.splitlines()[0])
    assert int(ev["id"]) > 0 and ev["event"].startswith("track.")
