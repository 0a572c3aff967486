"""docs/openapi.yaml stays in step with the routes the server registers.

The route tables are read from the C sources (src/server/*.c), lines like
    {"GET", "/v1/tracks/:t/zones", handler, FLAGS},
Path parameters are compared by position only ("/:t/" and "/{t}/" both become "/{}/"), since
their names may differ. A documented path or operation that no route serves yet must carry
`x-tansiq-status: planned`. No server is started.
"""
import glob
import os
import re

import jsonschema
import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "docs", "openapi.yaml")
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
ROUTE_RE = re.compile(r'\{\s*"(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)"\s*,\s*"(/[^"]*)"')


def normalise(path):
    """/v1/tracks/:t/zones/{id} -> /v1/tracks/{}/zones/{}"""
    segs = []
    for seg in path.split("/"):
        if seg.startswith(":") or (seg.startswith("{") and seg.endswith("}")):
            seg = "{}"
        segs.append(seg)
    return "/".join(segs)


def registered_routes():
    routes = set()
    for name in sorted(glob.glob(os.path.join(ROOT, "src", "server", "*.c"))):
        with open(name, encoding="utf-8") as f:
            for line in f:
                m = ROUTE_RE.search(line)
                # The console's static files (/, /app/*, /vendor/*) are not part of the API.
                if m and m.group(2).startswith("/v1/"):
                    routes.add((m.group(1).lower(), normalise(m.group(2))))
    return routes


@pytest.fixture(scope="module")
def doc():
    with open(DOC, encoding="utf-8") as f:
        return yaml.safe_load(f)


def documented_operations(doc):
    """(method, normalised path, planned?, raw path) for every operation of the document."""
    ops = []
    for path, item in doc["paths"].items():
        path_planned = item.get("x-tansiq-status") == "planned"
        for method in METHODS:
            if method in item:
                planned = path_planned or item[method].get("x-tansiq-status") == "planned"
                ops.append((method, normalise(path), planned, path))
    return ops


def test_document_is_openapi_3_1_with_paths(doc):
    assert str(doc["openapi"]).startswith("3.1.")
    assert doc["paths"], "no paths"
    assert "/v1/health" in doc["paths"]


def test_route_tables_are_found_in_the_sources():
    routes = registered_routes()
    # If the regex ever stops matching the tables, the other tests would pass vacuously.
    assert ("get", "/v1/health") in routes
    assert ("post", "/v1/tracks") in routes
    assert len(routes) >= 20


def test_every_registered_route_is_documented(doc):
    documented = {(m, p) for m, p, _, _ in documented_operations(doc)}
    missing = sorted(registered_routes() - documented)
    assert not missing, "routes the server registers but docs/openapi.yaml lacks: %s" % missing


def test_every_documented_operation_is_registered_or_planned(doc):
    routes = registered_routes()
    unserved = sorted("%s %s" % (m.upper(), raw) for m, p, planned, raw in documented_operations(doc)
                      if not planned and (m, p) not in routes)
    assert not unserved, ("operations in docs/openapi.yaml that no route serves; register them or mark "
                          "the path `x-tansiq-status: planned`: %s" % unserved)


def test_path_templates_declare_their_parameters(doc):
    for path, item in doc["paths"].items():
        names = set(re.findall(r"\{([^}]+)\}", path))
        for method in METHODS:
            if method not in item:
                continue
            declared = set()
            for p in item.get("parameters", []) + item[method].get("parameters", []):
                p = resolve(doc, p)
                if p["in"] == "path":
                    declared.add(p["name"])
            assert declared == names, "%s %s declares path parameters %s" % (method.upper(), path, sorted(declared))


def test_operation_ids_are_unique(doc):
    ids = [item[m]["operationId"] for item in doc["paths"].values() for m in METHODS if m in item]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_every_ref_resolves(doc):
    refs = []

    def walk(x):
        if isinstance(x, dict):
            if isinstance(x.get("$ref"), str):
                refs.append(x["$ref"])
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(doc)
    assert refs
    for ref in refs:
        resolve(doc, {"$ref": ref})


def test_errors_are_problem_json(doc):
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            for status, resp in item[method]["responses"].items():
                if str(status).startswith(("4", "5")):
                    resp = resolve(doc, resp)
                    assert list(resp["content"]) == ["application/problem+json"], (method, path, status)


def test_every_schema_is_a_valid_json_schema_2020_12(doc):
    """OpenAPI 3.1 schema objects are JSON Schema 2020-12: each one must pass the meta-schema
    (python3-jsonschema from Debian; Debian 12 packages no OpenAPI 3.1 document validator)."""
    schemas = []

    def walk(x, where):
        if isinstance(x, dict):
            for k, v in x.items():
                if k == "schema" and isinstance(v, dict):
                    schemas.append((where + "/schema", v))
                walk(v, where + "/" + str(k))
        elif isinstance(x, list):
            for i, v in enumerate(x):
                walk(v, "%s/%d" % (where, i))

    walk(doc.get("paths", {}), "#/paths")
    for name, schema in doc.get("components", {}).get("schemas", {}).items():
        schemas.append(("#/components/schemas/" + name, schema))
    assert len(schemas) > 20
    for where, schema in schemas:
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            raise AssertionError("%s is not a valid JSON Schema 2020-12: %s" % (where, e.message)) from None


def resolve(doc, obj):
    ref = obj.get("$ref") if isinstance(obj, dict) else None
    if not ref:
        return obj
    assert ref.startswith("#/"), "only local references: %s" % ref
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, "unresolved $ref %s" % ref
        node = node[part]
    return node
