"""One list of event types (src/core/event_types.c): docs/openapi.yaml and the console's EVENT_TYPES
list the same set, the server emits nothing outside it, and every type listed is emitted somewhere.
No server is needed for the source checks; the last test drives a real one."""
import glob
import os
import re

import yaml

from conftest import ROOT
from test_zones import activity_body, create, events

CORE = os.path.join(ROOT, "src", "core", "event_types.c")
TYPE = r"[a-z_]+\.[a-z_]+"


def core_types():
    with open(CORE, encoding="utf-8") as f:
        text = f.read()
    table = text[text.index("event_types[] = {"):text.index("NULL,")]
    types = re.findall(r'^\s*"(' + TYPE + r')",\s*$', table, re.M)
    assert len(types) >= 30, "the table's format changed: this test would pass vacuously"
    return types


def test_openapi_lists_exactly_the_core_types():
    with open(os.path.join(ROOT, "docs", "openapi.yaml"), encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    assert doc["components"]["schemas"]["EventType"]["enum"] == core_types()
    assert doc["components"]["schemas"]["Event"]["properties"]["type"] == {"$ref": "#/components/schemas/EventType"}


def test_console_lists_exactly_the_core_types():
    with open(os.path.join(ROOT, "web", "app", "api.js"), encoding="utf-8") as f:
        js = f.read()
    block = re.search(r"export const EVENT_TYPES = \[(.*?)\];", js, re.S)
    assert block, "EVENT_TYPES not found in web/app/api.js"
    assert re.findall(r"'(" + TYPE + r")'", block.group(1)) == core_types()


def server_literals():
    """String literals in the server's C sources named like event types (an object noun of the list,
    a dot, a verb), minus the sweeper's deadline kinds (routes.c sweeper_kinds)."""
    literals = set()
    for name in glob.glob(os.path.join(ROOT, "src", "server", "*.c")):
        with open(name, encoding="utf-8") as f:
            code = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
        literals |= set(re.findall(r'"(' + TYPE + r')"', code))
    with open(os.path.join(ROOT, "src", "server", "routes.c"), encoding="utf-8") as f:
        kinds = set(re.findall(r'\{"(' + TYPE + r')", api_', f.read()))
    assert "threat.respond" in kinds and "message.ack" in kinds
    nouns = {t.split(".")[0] for t in core_types()}   # field paths like "window.end" are not events
    return {x for x in literals if x.split(".")[0] in nouns} - kinds


def test_every_core_type_is_emitted_by_the_server_and_nothing_else():
    literals = server_literals()
    core = set(core_types())
    assert core - literals == set(), "listed in core but never emitted"
    assert literals - core == set(), "emitted-looking names missing from src/core/event_types.c"


def test_server_events_carry_listed_types(server, cell):
    """A few writes through the API: every entry's type is in the list (app_emit refuses others)."""
    create(server, cell["IL"], "il-sy", "activities", activity_body())
    types = {e["type"] for e in events(server, cell["IL"], "activity.notified")}
    assert types == {"activity.notified"}
    r = server.get("/v1/log/entries?limit=1000", cell["IL"])
    assert {e["event"]["type"] for e in r.json()["items"]} <= set(core_types())
