#!/usr/bin/python3
"""Validate netcheck JSON reports against docs/report.schema.json.

usage: check-report-schema.py SCHEMA JSONFILE [JSONFILE...]   ("-" = stdin)
       check-report-schema.py --self-test SCHEMA JSONFILE

Formats (ipv4, ipv6) are checked, not only annotated.  Beyond what JSON
Schema can say: path names are unique, and every capture point named in a
path's evidence and packets is one of environment.capture_points.
--self-test breaks a valid document in each of those ways and fails unless
every broken copy is rejected.

Prints one line per file, "ok FILE" or "FAIL FILE: where: why (+N more)".
Exit 0 if every file is valid, 1 if any is not, 2 on a usage or schema error.
Needs python3-jsonschema (Debian package).
"""
import copy
import json
import sys

try:
    import jsonschema
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
except ImportError:
    print("check-report-schema: python3-jsonschema is not installed", file=sys.stderr)
    sys.exit(2)


def where(error):
    path = "/".join(str(p) for p in error.absolute_path)
    return "/" + path


def one_line(text, limit=300):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def consistency_errors(doc):
    """What the schema cannot express; a list of "where: why"."""
    errors = []
    paths = doc.get("paths") if isinstance(doc, dict) else None
    if not isinstance(paths, list):
        return errors
    seen = set()
    for i, p in enumerate(paths):
        name = p.get("name") if isinstance(p, dict) else None
        if name in seen:
            errors.append(f"/paths/{i}/name: {name!r} is not unique")
        seen.add(name)
    points = doc.get("environment", {}).get("capture_points", [])
    names = {cp.get("name") for cp in points if isinstance(cp, dict)}
    for i, p in enumerate(paths):
        if not isinstance(p, dict):
            continue
        for field in ("evidence", "packets"):
            for k, item in enumerate(p.get(field) or []):
                point = item.get("capture_point") if isinstance(item, dict) else None
                if point not in names:
                    errors.append(f"/paths/{i}/{field}/{k}/capture_point: {point!r} is not one of "
                                  f"environment.capture_points {sorted(n for n in names if n)}")
    return errors


def problems(validator, doc):
    """(where, why) pairs, schema first; [] when the document is valid."""
    errors = list(validator.iter_errors(doc))
    if errors:
        best = best_match(errors)
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        return [(where(best), one_line(best.message) + more)]
    return [tuple(e.split(": ", 1)) for e in consistency_errors(doc)]


def self_test(validator, doc):
    """Each way of breaking doc must be caught; returns the number missed."""
    def first_path_with_evidence(d):
        return next(p for p in d["paths"] if p["evidence"])

    breakers = {
        "duplicate path name": lambda d: d["paths"].append(copy.deepcopy(d["paths"][0])),
        "unknown capture point": lambda d: first_path_with_evidence(d)["evidence"][0].update(capture_point="nowhere0"),
        "IPv4 octet over 255": lambda d: d["environment"].update(host_address="256.1.1.1"),
        "IPv4 leading zero": lambda d: d["environment"].update(host_address="10.01.1.1"),
        "IPv6 not an address": lambda d: d["environment"].update(host_address="fe80::1::2"),
        "port over 65535": lambda d: first_path_with_evidence(d)["evidence"][0].update(src="10.0.0.1:65536"),
        "error without code": lambda d: d.update(error={"message": "engine went away", "name": "ECONNRESET"}),
        "error without name": lambda d: d.update(error={"message": "engine went away", "code": -104}),
        "error name not a name": lambda d: d.update(error={"message": "gone", "name": "-104", "code": -104}),
        "error with an empty message": lambda d: d.update(error={"message": "", "name": "EIO", "code": -5}),
    }
    missed = 0
    if problems(validator, doc):
        print(f"FAIL self-test: the document is not valid to begin with: {problems(validator, doc)[0]}")
        return 1
    ok = copy.deepcopy(doc)
    ok["error"] = {"message": "engine went away", "name": "ECONNRESET", "code": -104}
    ok["environment"]["host_address"] = "fd00::1"
    if problems(validator, ok):
        print(f"FAIL self-test: a valid error object or IPv6 address was rejected: {problems(validator, ok)[0]}")
        missed += 1
    for what, breaker in breakers.items():
        broken = copy.deepcopy(doc)
        breaker(broken)
        found = problems(validator, broken)
        if found:
            print(f"ok self-test: {what}: {found[0][0]}: {found[0][1][:100]}")
        else:
            print(f"FAIL self-test: {what}: not caught")
            missed += 1
    return missed


def load(name):
    if name == "-":
        return json.load(sys.stdin), "<stdin>"
    with open(name, encoding="utf-8") as f:
        return json.load(f), name


def main(argv):
    testing = len(argv) == 4 and argv[1] == "--self-test"
    if testing:
        argv = argv[1:]
    if len(argv) < 3 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    if argv[2:].count("-") > 1 or argv[1] == "-":
        print("check-report-schema: stdin can be read once, and not as the schema", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            schema = json.load(f)
        cls = validator_for(schema)
        cls.check_schema(schema)
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as e:
        print(f"check-report-schema: bad schema {argv[1]}: {one_line(e)}", file=sys.stderr)
        return 2
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    if testing:
        doc, _ = load(argv[2])
        return 1 if self_test(validator, doc) else 0

    failed = 0
    for name in argv[2:]:
        try:
            doc, label = load(name)
        except (OSError, ValueError) as e:
            print(f"FAIL {name}: not readable JSON: {one_line(e)}")
            failed += 1
            continue
        found = problems(validator, doc)
        if not found:
            print(f"ok {label}")
            continue
        failed += 1
        print(f"FAIL {label}: {found[0][0]}: {found[0][1]}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
