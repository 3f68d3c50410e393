#!/usr/bin/env python3
"""watch's NDJSON lines against docs/monitoring.md's tables of their keys.

usage: check-watch-line.py MONITORING_MD NDJSON [--want-diagnosis]
       check-watch-line.py --self-test MONITORING_MD

The page's section "The NDJSON line" has three tables whose first column
is a key in backticks and whose second says `always` or when the key is
there: the line ("### The line"), a path of it ("### A path"), a path's
diagnosis when it has one ("### A diagnosis").  Every line of NDJSON must
have exactly the line's keys, in that order; each path only documented
keys, every `always` one, in the documented order, and no `packets`; each
diagnosis null or an object of exactly the documented keys.
--want-diagnosis: some path of some line must have a diagnosis (a run
that saw a failure), so the diagnosis table is checked against a real one.
--self-test checks made-up lines that break the page in each of those
ways and fails unless every break is caught."""
import json
import re
import sys

SECTIONS = {"line": "### The line", "path": "### A path", "diagnosis": "### A diagnosis"}


def tables(md_path):
    text = open(md_path, encoding="utf-8").read().splitlines()
    out = {}
    for name, heading in SECTIONS.items():
        try:
            i = text.index(heading)
        except ValueError:
            raise SystemExit(f"FAIL: {md_path} has no heading '{heading}'")
        keys = []
        for line in text[i + 1:]:
            if line.startswith("#"):
                break
            m = re.match(r"^\|\s*`([a-z_]+)`\s*\|\s*([^|]*?)\s*\|", line)
            if m:
                keys.append((m.group(1), m.group(2) == "always"))
        if not keys:
            raise SystemExit(f"FAIL: no table of keys under '{heading}' in {md_path}")
        out[name] = keys
    return out


def check_object(what, obj, documented, exact):
    """problems of obj's keys against documented [(key, always)]"""
    names = [k for k, _ in documented]
    got = list(obj.keys())
    problems = []
    for k in got:
        if k not in names:
            problems.append(f"{what}: key '{k}' is not documented")
    for k, always in documented:
        if (always or exact) and k not in obj:
            problems.append(f"{what}: documented key '{k}' is missing")
    order = [k for k in names if k in obj]
    if not problems and got != order:
        problems.append(f"{what}: keys in the order {got}, documented {order}")
    return problems


def check_line(doc, line, where):
    problems = check_object(f"{where}", line, doc["line"], True)
    seen_diagnosis = False
    for i, p in enumerate(line.get("paths") or []):
        pw = f"{where}, path {i} ({p.get('name')})"
        problems += check_object(pw, p, doc["path"], False)
        d = p.get("diagnosis")
        if d is None:
            continue
        if not isinstance(d, dict):
            problems.append(f"{pw}: diagnosis is {type(d).__name__}, not an object or null")
            continue
        seen_diagnosis = True
        problems += check_object(f"{pw} diagnosis", d, doc["diagnosis"], True)
    return problems, seen_diagnosis


def check_file(doc, ndjson, want_diagnosis):
    problems, any_diagnosis, n = [], False, 0
    for lineno, text in enumerate(open(ndjson, encoding="utf-8"), 1):
        if not text.strip():
            continue
        n += 1
        p, d = check_line(doc, json.loads(text), f"line {lineno}")
        problems += p
        any_diagnosis |= d
    if n == 0:
        problems.append(f"{ndjson} has no line")
    if want_diagnosis and not any_diagnosis:
        problems.append(f"{ndjson}: no path has a diagnosis to check")
    return problems


def self_test(doc):
    path = {k: 1 for k, _ in doc["path"]}
    path["diagnosis"] = {k: 1 for k, _ in doc["diagnosis"]}
    good = {k: 1 for k, _ in doc["line"]}
    good["paths"] = [path]
    assert check_line(doc, good, "good")[0] == [], check_line(doc, good, "good")[0]

    def broken(change):
        line = json.loads(json.dumps(good))
        change(line)
        return check_line(doc, line, "broken")[0]

    first_always = next(k for k, a in doc["path"] if a and k != "diagnosis")
    cases = {
        "the old 'path' key": lambda l: l["paths"][0].__setitem__("path", "x"),
        "packets": lambda l: l["paths"][0].__setitem__("packets", []),
        "a line key missing": lambda l: l.pop("duration_seconds"),
        "an always path key missing": lambda l: l["paths"][0].pop(first_always),
        "a diagnosis as a code string": lambda l: l["paths"][0].__setitem__("diagnosis", "dropped"),
        "a diagnosis key missing": lambda l: l["paths"][0]["diagnosis"].pop("observed"),
        "path keys out of order": lambda l: l["paths"].__setitem__(
            0, dict(reversed(list(l["paths"][0].items())))),
    }
    for what, change in cases.items():
        if not broken(change):
            raise SystemExit(f"FAIL: self-test: {what} was not caught")
    print(f"ok: {len(cases)} breaks caught")


def main(argv):
    if len(argv) == 3 and argv[1] == "--self-test":
        self_test(tables(argv[2]))
        return 0
    if len(argv) not in (3, 4) or (len(argv) == 4 and argv[3] != "--want-diagnosis"):
        raise SystemExit(__doc__)
    problems = check_file(tables(argv[1]), argv[2], len(argv) == 4)
    if not problems:
        print("ok: every line has the documented keys")
    sys.stderr.write("".join(f"FAIL: {p}\n" for p in problems[:20]))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
