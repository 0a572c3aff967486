#!/usr/bin/env python3
"""Keeps the shape of the code that issue 11 asked for; `make test` runs it (meson test "structure").

  1. no src/server/*.c over MAX_SERVER_LINES lines;
  2. store_obj_put and store_event_append each called from exactly one place outside src/store
     (the one commit path, src/server/commit.c);
  3. no two modules include each other's headers (a module is name.c + name.h; computed from the
     #include "..." lines of every file under src/), and no longer circle of includes either;
  4. `grep -c json_object_get src/server/*.c` totals at most MAX_JSON_OBJECT_GET (half of the 242
     counted when issue 11 was filed).

A temporary exception is one line of scripts/structure-exceptions.txt; an exception that no longer
excuses anything fails too, so the list cannot outlive its reason.

    python3 scripts/check-structure.py [ROOT]     check the tree at ROOT (default: this checkout)
    python3 scripts/check-structure.py --self-test  show that each rule fails on a tree that breaks it
"""
import glob
import os
import re
import sys
import tempfile

MAX_SERVER_LINES = 600
MAX_JSON_OBJECT_GET = 121
SINGLE_CALLERS = ("store_obj_put", "store_event_append")
EXCEPTIONS = os.path.join("scripts", "structure-exceptions.txt")

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def strip_comments(text):
    """C source without comments and string or character literals (their text could name a call)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def load_exceptions(root):
    """{("long", path) | ("pair", a, b)} from the exceptions file, and the lines that are not understood."""
    found, bad = set(), []
    path = os.path.join(root, EXCEPTIONS)
    if not os.path.exists(path):
        return found, bad
    for no, line in enumerate(read(path).splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if words[0] == "long" and len(words) == 2:
            found.add(("long", words[1]))
        elif words[0] == "pair" and len(words) == 3:
            found.add(("pair",) + tuple(sorted(words[1:])))
        else:
            bad.append(f"{EXCEPTIONS}:{no}: not 'long FILE' or 'pair MODULE MODULE': {line.strip()}")
    return found, bad


def long_files(root):
    found = {}
    for path in sorted(glob.glob(os.path.join(root, "src", "server", "*.c"))):
        lines = read(path).count("\n")
        if lines > MAX_SERVER_LINES:
            found[os.path.relpath(path, root)] = lines
    return found


def c_files(root):
    for d, _, names in os.walk(os.path.join(root, "src")):
        for name in sorted(names):
            if name.endswith((".c", ".h")):
                yield os.path.join(d, name)


def call_sites(root, name):
    """["path:line"] of every call of name in .c files outside src/store."""
    call = re.compile(r"\b" + re.escape(name) + r"\s*\(")
    sites = []
    for path in c_files(root):
        rel = os.path.relpath(path, root)
        if not path.endswith(".c") or rel.startswith(os.path.join("src", "store") + os.sep):
            continue
        code = strip_comments(read(path))
        for m in call.finditer(code):
            sites.append(f"{rel}:{code.count(chr(10), 0, m.start()) + 1}")
    return sites


def module_of(root, path):
    return os.path.splitext(os.path.relpath(path, root))[0]


def include_edges(root):
    """{module: {module it includes a header of: "file:line" that does}}."""
    src = os.path.join(root, "src")
    edges = {}
    for path in c_files(root):
        text = read(path)
        me = module_of(root, path)
        for m in INCLUDE.finditer(text):
            for base in (src, os.path.dirname(path)):
                target = os.path.normpath(os.path.join(base, m.group(1)))
                if os.path.exists(target):
                    other = module_of(root, target)
                    if other != me:
                        where = f"{os.path.relpath(path, root)}:{text.count(chr(10), 0, m.start()) + 1}"
                        edges.setdefault(me, {}).setdefault(other, where)
                    break
    return edges


def mutual_pairs(edges):
    pairs = {}
    for a, outs in edges.items():
        for b, where in outs.items():
            if a < b and a in edges.get(b, {}):
                pairs[(a, b)] = (where, edges[b][a])
    return pairs


def include_cycles(edges):
    """Circles of three or more modules (pairs are mutual_pairs'), each as the list of its modules in
    order, found as strongly connected components (Tarjan) and walked once around."""
    index, low, stack, on, comps = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, {})):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 2:
                comps.append(set(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    cycles = []
    for comp in comps:
        start = min(comp)
        path, seen = [start], {start}
        while True:   # every module of the component reaches start again within it
            nxt = sorted(w for w in edges.get(path[-1], {}) if w in comp)
            back = [w for w in nxt if w == start]
            if back and len(path) > 1:
                break
            fresh = [w for w in nxt if w not in seen]
            if not fresh:
                break
            path.append(fresh[0])
            seen.add(fresh[0])
        cycles.append(path)
    return cycles


def json_object_get_lines(root):
    total = 0
    for path in glob.glob(os.path.join(root, "src", "server", "*.c")):
        total += sum(1 for line in read(path).splitlines() if "json_object_get" in line)
    return total


def check(root):
    """The list of failures of the tree at root, each naming its offender."""
    failures = []
    exceptions, bad = load_exceptions(root)
    failures += bad
    used = set()

    for path, lines in long_files(root).items():
        if ("long", path) in exceptions:
            used.add(("long", path))
            print(f"structure: note: {path} has {lines} lines, excepted in {EXCEPTIONS}")
        else:
            failures.append(f"{path} has {lines} lines (at most {MAX_SERVER_LINES} in src/server): "
                            "split it into modules along a real seam")

    for name in SINGLE_CALLERS:
        sites = call_sites(root, name)
        if len(sites) != 1:
            failures.append(f"{name} is called from {len(sites)} places outside src/store "
                            f"({', '.join(sites) or 'none'}); exactly one is the commit path")

    for (a, b), (ab, ba) in sorted(mutual_pairs(include_edges(root)).items()):
        if ("pair", a, b) in exceptions:
            used.add(("pair", a, b))
            print(f"structure: note: {a} and {b} include each other, excepted in {EXCEPTIONS}")
        else:
            failures.append(f"modules {a} and {b} include each other ({ab} and {ba}): "
                            "move what both need into one of them or a third module")

    for cycle in include_cycles(include_edges(root)):
        failures.append("modules include each other in a circle: " + " -> ".join(cycle + [cycle[0]]) +
                        ": a header should include only what its own declarations need")

    count = json_object_get_lines(root)
    if count > MAX_JSON_OBJECT_GET:
        failures.append(f"json_object_get is on {count} lines of src/server/*.c (at most "
                        f"{MAX_JSON_OBJECT_GET}): decode objects in core (*_from_json), not in handlers")

    for e in sorted(exceptions - used):
        failures.append(f"{EXCEPTIONS} excepts {' '.join(e)}, which no longer needs it: remove the line")
    return failures


def self_test():
    """Builds trees that break one rule each; the check must fail on each, naming the offender."""
    ok_calls = "void c(void) { store_obj_put(s); store_event_append(s); }\n"
    cases = {
        "long file": ({"src/server/big.c": "int x;\n" * (MAX_SERVER_LINES + 1),
                       "src/server/commit.c": ok_calls}, "src/server/big.c has 601 lines"),
        "second caller": ({"src/server/commit.c": ok_calls,
                           "src/server/other.c": "void d(void) { store_obj_put(s); }\n"},
                          "store_obj_put is called from 2 places"),
        "no caller": ({"src/server/commit.c": "void c(void) { store_event_append(s); }\n"},
                      "store_obj_put is called from 0 places"),
        "mutual includes": ({"src/server/commit.c": ok_calls,
                             "src/server/a.h": '#include "server/b.h"\n', "src/server/a.c": "",
                             "src/server/b.h": "", "src/server/b.c": '#include "server/a.h"\n'},
                            "modules src/server/a and src/server/b include each other"),
        "circle of three": ({"src/server/commit.c": ok_calls,
                             "src/server/a.h": '#include "server/b.h"\n', "src/server/a.c": "",
                             "src/server/b.h": '#include "server/c.h"\n', "src/server/b.c": "",
                             "src/server/c.h": "", "src/server/c.c": '#include "server/a.h"\n'},
                            "modules include each other in a circle: src/server/a"),
        "json_object_get": ({"src/server/commit.c": ok_calls + "json_object_get(o);\n" * (MAX_JSON_OBJECT_GET + 1)},
                            f"json_object_get is on {MAX_JSON_OBJECT_GET + 1} lines"),
        "stale exception": ({"src/server/commit.c": ok_calls, EXCEPTIONS: "long src/server/gone.c  # split\n"},
                            "excepts long src/server/gone.c, which no longer needs it"),
    }
    clean = {"src/server/commit.c": ok_calls + "/* store_obj_put( in a comment */ const char *t = \"store_obj_put(\";\n",
             "src/store/store.c": "void f(void) { store_obj_put(s); store_event_append(s); }\n",
             "src/server/big.c": "int x;\n" * (MAX_SERVER_LINES + 1),
             EXCEPTIONS: "long src/server/big.c  # being split\n"}
    failed = 0
    for name, (files, expected) in list(cases.items()) + [("clean tree", (clean, None))]:
        with tempfile.TemporaryDirectory() as root:
            for rel, text in files.items():
                os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
                with open(os.path.join(root, rel), "w") as f:
                    f.write(text)
            got = check(root)
            good = (not got) if expected is None else any(expected in g for g in got)
            print(f"structure self-test: {'ok' if good else 'FAILED'}: {name}: {got}")
            failed += not good
    return 1 if failed else 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    failures = check(root)
    for f in failures:
        print(f"structure: FAIL: {f}", file=sys.stderr)
    if not failures:
        print("structure: ok (issue 11: file sizes, one commit path, no include circles, json_object_get)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
