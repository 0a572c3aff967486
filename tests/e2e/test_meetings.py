"""Meeting series, occurrences, calendar.ics, agendas, minutes and action items (api.md, Meetings; rule 10)."""
from datetime import datetime, timedelta, timezone

import icalendar
from dateutil.rrule import rrulestr

from conftest import problem
from test_threats import events, rfc3339, threat

UTC = timezone.utc


def series(**over):
    body = {"title": "Deconfliction talks", "venue": "Baku", "host": "AZ", "start": "2026-01-05T09:00:00Z",
            "duration": "PT2H", "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=6"}
    body.update(over)
    return body


def basic(dt):
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def occurrences(server, token, track, frm, to, series_id=None):
    items, after = [], None
    while True:
        q = f"/v1/tracks/{track}/meetings?from={frm}&to={to}&limit=4" + (f"&after={after}" if after else "")
        r = server.get(q, token)
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        after = r.json()["next"]
        if not after:
            break
    return [o for o in items if series_id is None or o["series"] == series_id]


def test_occurrences_match_the_calendar_expanded_independently(server, cell):
    made = {}
    for body in (series(),  # Monday start: not an occurrence, so the first Tuesday becomes the start
                 series(title="Weekly liaison", venue="Istanbul, Çırağan", host="TR",
                        start="2026-01-02T14:30:00Z", duration="PT45M", rrule="FREQ=DAILY;INTERVAL=3;UNTIL=20260201"),
                 series(title="Monthly review", venue="Baku; Room 2, \"Caspian\"", host="IL",
                        start="2026-01-01T07:00:00Z", duration="PT1H", rrule="FREQ=MONTHLY;BYDAY=-1FR;COUNT=4")):
        r = server.post("/v1/tracks/tr-il/meetings/series", cell["AZ"], body)
        assert r.status_code == 201, r.text
        made[r.json()["id"]] = r.json()
    first = next(iter(made.values()))
    assert first["start"] == "2026-01-06T09:00:00Z"
    assert first["rrule"] == "FREQ=WEEKLY;INTERVAL=2;COUNT=6;BYDAY=TU,TH;WKST=MO"

    r = server.get("/v1/tracks/tr-il/calendar.ics", cell["TR"])
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(r.content)
    vevents = cal.walk("VEVENT")
    assert len(vevents) == 3
    total = 0
    for ev in vevents:
        sid = str(ev["UID"]).split("@")[0]
        s = made[sid]
        assert str(ev["SUMMARY"]) == s["title"] and str(ev["LOCATION"]) == s["venue"]
        dtstart = ev.decoded("DTSTART")
        assert dtstart.tzinfo is not None and dtstart.utcoffset() == timedelta(0)
        assert rfc3339(dtstart).replace(".000Z", "Z") == s["start"]
        rule = ev["RRULE"].to_ical().decode()
        expected = list(rrulestr(rule, dtstart=dtstart).between(
            datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC), inc=True))
        got = occurrences(server, cell["AZ"], "tr-il", "2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z", sid)
        assert [o["start"] for o in got] == [rfc3339(x).replace(".000Z", "Z") for x in expected]
        assert [o["id"] for o in got] == [f"{sid}:{basic(x)}" for x in expected]
        dur = ev.decoded("DTEND") - dtstart
        assert all(parse_z(o["end"]) - parse_z(o["start"]) == dur for o in got)
        assert all(o["venue"] == s["venue"] and o["status"] == "scheduled" for o in got)
        total += len(got)
    assert total == 6 + 11 + 4   # COUNT=6; Jan 2, 5, … Feb 1 (UNTIL is the end of that day); COUNT=4
    merged = occurrences(server, cell["IL"], "tr-il", "2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z")
    assert len(merged) == total and [o["start"] for o in merged] == sorted(o["start"] for o in merged)


def parse_z(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def test_range_is_from_inclusive_to_exclusive(server, cell):
    sid = server.post("/v1/tracks/tr-il/meetings/series", cell["AZ"], series()).json()["id"]
    got = occurrences(server, cell["AZ"], "tr-il", "2026-01-06T09:00:00Z", "2026-01-20T09:00:00Z")
    assert [o["id"] for o in got] == [f"{sid}:20260106T090000Z", f"{sid}:20260108T090000Z"]


def test_one_occurrence_by_its_stable_id(server, cell):
    sid = server.post("/v1/tracks/tr-il/meetings/series", cell["AZ"], series()).json()["id"]
    r = server.get(f"/v1/tracks/tr-il/meetings/{sid}:20260122T090000Z", cell["IL"])
    assert r.status_code == 200, r.text
    assert r.json() == {"id": f"{sid}:20260122T090000Z", "series": sid, "title": "Deconfliction talks",
                        "start": "2026-01-22T09:00:00Z", "end": "2026-01-22T11:00:00Z", "venue": "Baku",
                        "host": "AZ", "status": "scheduled"}
    for bad in (f"{sid}:20260121T090000Z",     # a Wednesday
                f"{sid}:20260122T090001Z",     # a second off
                f"{sid}:20260305T090000Z",     # after COUNT=6
                f"{sid}:20260105T090000Z",     # the requested, unsynchronised start
                "mtg_NOPE:20260122T090000Z", sid, f"{sid}:2026-01-22"):
        problem(server.get(f"/v1/tracks/tr-il/meetings/{bad}", cell["IL"]), 404)
    problem(server.get(f"/v1/tracks/tr-il/meetings/{sid}:20260122T090000Z", cell["SY"]), 404)


def test_bad_series_are_refused_and_change_nothing(server, cell):
    size = server.log_size()
    cases = [
        (series(rrule="FREQ=WEEKLY;BYMONTH=1"), 422, "rrule", "BYMONTH"),
        (series(rrule="FREQ=YEARLY"), 422, "rrule", "YEARLY"),
        (series(rrule="FREQ=DAILY;BYHOUR=9"), 422, "rrule", "BYHOUR"),
        (series(rrule="FREQ=DAILY;UNTIL=20251231"), 422, "rrule", "no occurrence"),
        (series(host="ZZ"), 422, "host", "ZZ"),
        (series(host="SY"), 422, "host", "SY"),      # a party, not in tr-il
        (series(duration="P1M"), 422, "duration", ""),
        (series(duration="PT0S"), 422, "duration", ""),
        (series(start="tomorrow"), 422, "start", ""),
        (series(title=""), 422, "title", ""),
        (series(venue=None), 400, "venue", ""),
    ]
    for body, status, field, word in cases:
        p = problem(server.post("/v1/tracks/tr-il/meetings/series", cell["AZ"], body), status)
        assert p["errors"][0]["field"] == field and word in p["errors"][0]["message"], (body, p)
    assert server.log_size() == size
    assert server.get("/v1/tracks/tr-il/meetings/series", cell["TR"]).json()["items"] == []


def past_series(server, cell, token, track="tr-il", host="AZ"):
    """A daily series that started two days ago at 08:00Z: yesterday's meeting has taken place."""
    start = (datetime.now(UTC) - timedelta(days=2)).replace(hour=8, minute=0, second=0, microsecond=0)
    r = server.post(f"/v1/tracks/{track}/meetings/series", token,
                    series(host=host, start=rfc3339(start), rrule="FREQ=DAILY"))
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    return sid, f"{sid}:{basic(start + timedelta(days=1))}", f"{sid}:{basic(start + timedelta(days=3))}"


def test_minutes_create_action_items_that_their_owner_completes(server, cell):
    sid, held, future = past_series(server, cell, cell["AZ"])
    due = rfc3339(datetime.now(UTC) + timedelta(days=7))
    body = {"text": "Hotline tested.", "decisions": ["Keep the 15 km line"],
            "actions": [{"owner": "TR", "text": "Share the sortie schedule", "due": due},
                        {"owner": "IL", "text": "Name a liaison officer", "due": due}]}
    size = server.log_size()
    problem(server.post(f"/v1/tracks/tr-il/meetings/{future}/minutes", cell["AZ"], body), 409)   # not yet held
    bad = dict(body, actions=[{"owner": "SY", "text": "x", "due": due}])
    p = problem(server.post(f"/v1/tracks/tr-il/meetings/{held}/minutes", cell["AZ"], bad), 422)
    assert p["errors"][0]["field"] == "actions[0].owner"
    problem(server.post(f"/v1/tracks/tr-il/meetings/{sid}:20200101T080000Z/minutes", cell["AZ"], body), 404)
    assert server.log_size() == size

    r = server.post(f"/v1/tracks/tr-il/meetings/{held}/minutes", cell["AZ"], body)
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["meeting"] == held and m["decisions"] == ["Keep the 15 km line"] and len(m["actions"]) == 2
    problem(server.post(f"/v1/tracks/tr-il/meetings/{held}/minutes", cell["TR"], body), 409)   # once per meeting
    assert server.get(f"/v1/tracks/tr-il/meetings/{held}", cell["TR"]).json()["status"] == "held"
    assert server.get(f"/v1/tracks/tr-il/meetings/{held}/minutes", cell["AZ"]).json()["id"] == m["id"]

    tr_action, il_action = m["actions"]
    a = server.get(f"/v1/tracks/tr-il/actions/{tr_action}", cell["AZ"]).json()
    assert a["owner"] == "TR" and a["status"] == "open" and a["meeting"] == held and a["due"] == due
    size = server.log_size()
    problem(server.post(f"/v1/tracks/tr-il/actions/{tr_action}/done", cell["IL"]), 403)
    problem(server.post(f"/v1/tracks/tr-il/actions/{tr_action}/done", cell["AZ"]), 403)
    assert server.log_size() == size
    r = server.post(f"/v1/tracks/tr-il/actions/{tr_action}/done", cell["TR"])
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["version"] == 2
    problem(server.post(f"/v1/tracks/tr-il/actions/{tr_action}/done", cell["TR"]), 409)
    assert [x["id"] for x in server.get("/v1/tracks/tr-il/actions?status=open", cell["AZ"]).json()["items"]] == \
        [il_action]
    assert len(events(server, cell["AZ"], "meeting.minutes")) == 1
    assert len(events(server, cell["AZ"], "action.created")) == 2
    assert [e["payload"]["id"] for e in events(server, cell["AZ"], "action.done")] == [tr_action]
    assert len(events(server, cell["AZ"], "meeting.series_created")) == 1


def test_who_may_schedule_and_record_minutes(server, cell):
    cell.make_track("obs", [("IL", "principal"), ("SY", "principal"), ("RU", "mediator"), ("US", "observer")])
    size = server.log_size()
    problem(server.post("/v1/tracks/obs/meetings/series", cell["US"], series(host="IL")), 403)   # observer
    assert server.log_size() == size
    sid, held, _ = past_series(server, cell, cell["RU"], track="obs", host="SY")
    # The observer sees meetings, but neither it nor the mediator (not hosting) records minutes.
    assert server.get(f"/v1/tracks/obs/meetings/{held}", cell["US"]).status_code == 200
    problem(server.post(f"/v1/tracks/obs/meetings/{held}/minutes", cell["US"], {"text": "x"}), 403)
    problem(server.post(f"/v1/tracks/obs/meetings/{held}/minutes", cell["RU"], {"text": "x"}), 403)
    r = server.post(f"/v1/tracks/obs/meetings/{held}/minutes", cell["SY"], {"text": "chaired by SY"})
    assert r.status_code == 201, r.text


def test_agenda_lists_what_needs_the_meeting(server, cell):
    cell.make_track("ag", [("IL", "principal"), ("SY", "principal"), ("US", "supervisor"), ("AZ", "host")],
                    {"ack_deadline": {"flash": "PT1M"}})
    sid, held, upcoming = past_series(server, cell, cell["AZ"], track="ag")
    now = datetime.now(UTC)

    def flash(to):
        r = server.post("/v1/tracks/ag/messages", cell["IL"],
                        {"to": to, "precedence": "flash", "subject": f"to {to[0]}", "body": "confirm"})
        assert r.status_code == 201, r.text
        return r.json()["id"]
    unacked, to_host, acked = flash(["SY"]), flash(["AZ"]), flash(["SY"])
    assert server.post(f"/v1/tracks/ag/messages/{acked}/ack", cell["SY"]).status_code == 200
    lapsing = server.post("/v1/tracks/ag/threats", cell["IL"],
                          threat(respond_by=rfc3339(now + timedelta(minutes=1)))).json()["id"]
    answered = server.post("/v1/tracks/ag/threats", cell["IL"], threat()).json()["id"]
    assert server.post(f"/v1/tracks/ag/threats/{answered}/respond", cell["SY"],
                       {"action": "neutralized"}).status_code == 200
    open_d = server.post("/v1/tracks/ag/disputes", cell["SY"],
                         {"against": "IL", "subject": "Overflight", "description": "d",
                          "refs": [{"type": "threat", "id": answered}]}).json()["id"]
    closed_d = server.post("/v1/tracks/ag/disputes", cell["SY"],
                           {"against": "IL", "subject": "Old", "description": "d"}).json()["id"]
    assert server.post(f"/v1/tracks/ag/disputes/{closed_d}/withdraw", cell["SY"]).status_code == 200
    past, later = rfc3339(now - timedelta(hours=1)), rfc3339(now + timedelta(days=30))
    m = server.post(f"/v1/tracks/ag/meetings/{held}/minutes", cell["AZ"], {
        "text": "t", "actions": [{"owner": "IL", "text": "overdue", "due": past},
                                 {"owner": "SY", "text": "not yet due", "due": later},
                                 {"owner": "AZ", "text": "done late", "due": past}]}).json()
    overdue, _, done = m["actions"]
    assert server.post(f"/v1/tracks/ag/actions/{done}/done", cell["AZ"]).status_code == 200
    server.advance("PT2M")   # the threat lapses and the two unacknowledged flashes escalate
    assert server.get(f"/v1/tracks/ag/threats/{lapsing}", cell["IL"]).json()["status"] == "lapsed"
    assert len(events(server, cell["US"], "message.escalated")) == 2

    size = server.log_size()
    r = server.get(f"/v1/tracks/ag/meetings/{upcoming}/agenda", cell["US"])
    assert r.status_code == 200, r.text
    agenda = r.json()
    assert agenda["meeting"]["id"] == upcoming
    got = [(i["section"], i["type"], i["id"]) for i in agenda["items"]]
    assert got == [("disputes", "dispute", open_d), ("threats", "threat", lapsing)] + \
        [("messages", "message", m) for m in sorted([unacked, to_host])] + [("actions", "action", overdue)]
    by_id = {i["id"]: i for i in agenda["items"]}
    assert by_id[open_d]["refs"] == [{"type": "threat", "id": answered}] and by_id[open_d]["summary"] == "Overflight"
    assert by_id[overdue]["refs"] == [{"type": "meeting", "id": held}] and by_id[overdue]["owner"] == "IL"
    assert by_id[lapsing]["status"] == "lapsed"
    # The host's agenda holds only what a host may see.
    host = server.get(f"/v1/tracks/ag/meetings/{upcoming}/agenda", cell["AZ"]).json()
    assert [(i["section"], i["id"]) for i in host["items"]] == [("messages", to_host), ("actions", overdue)]
    assert server.log_size() == size   # built at call time, nothing stored
    problem(server.get(f"/v1/tracks/ag/meetings/{sid}:20200101T080000Z/agenda", cell["US"]), 404)


def test_agenda_lists_open_conflicts_and_drops_resolved_ones(server, cell):
    cell.make_track("agc", [("IL", "principal"), ("SY", "principal"), ("US", "supervisor"), ("AZ", "host")])
    sid, held, upcoming = past_series(server, cell, cell["AZ"], track="agc")
    start = rfc3339(datetime.now(UTC) + timedelta(hours=2))
    end = rfc3339(datetime.now(UTC) + timedelta(hours=3))
    area = {"type": "Polygon", "coordinates": [[[36.0, 33.0], [36.1, 33.0], [36.1, 33.1], [36.0, 33.1], [36.0, 33.0]]]}

    def notify(party):
        r = server.post("/v1/tracks/agc/activities", cell[party],
                        {"kind": "air_sortie", "geometry": area, "altitude": {"min_m": 1000, "max_m": 3000},
                         "window": {"start": start, "end": end}})
        assert r.status_code == 201, r.text
        return r.json()
    notify("IL")
    sy = notify("SY")
    assert [c["kind"] for c in sy["conflicts"]] == ["activity_overlap"]
    cid = sy["conflicts"][0]["id"]
    agenda = server.get(f"/v1/tracks/agc/meetings/{upcoming}/agenda", cell["US"]).json()
    items = [i for i in agenda["items"] if i["section"] == "conflicts"]
    assert [(i["type"], i["id"], i["summary"]) for i in items] == [("conflict", cid, "activity_overlap")]
    assert {r["type"] for r in items[0]["refs"]} == {"activity"}
    # A host sees no conflicts, so its agenda has none.
    host = server.get(f"/v1/tracks/agc/meetings/{upcoming}/agenda", cell["AZ"]).json()
    assert not [i for i in host["items"] if i["section"] == "conflicts"]
    # Once resolved (SY cancels its activity) the conflict leaves the agenda.
    assert server.post(f"/v1/tracks/agc/activities/{sy['id']}/cancel", cell["SY"]).status_code == 200
    agenda = server.get(f"/v1/tracks/agc/meetings/{upcoming}/agenda", cell["US"]).json()
    assert not [i for i in agenda["items"] if i["section"] == "conflicts"]
