#!/usr/bin/python3
"""Validate netcheck JSON reports against docs/report.schema.json.

usage: check-report-schema.py SCHEMA JSONFILE [JSONFILE...]   ("-" = stdin)

Prints one line per file, "ok FILE" or "FAIL FILE: where: why (+N more)".
Exit 0 if every file is valid, 1 if any is not, 2 on a usage or schema error.
Needs python3-jsonschema (Debian package).
"""
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


def load(name):
    if name == "-":
        return json.load(sys.stdin), "<stdin>"
    with open(name, encoding="utf-8") as f:
        return json.load(f), name


def main(argv):
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
    validator = cls(schema)

    failed = 0
    for name in argv[2:]:
        try:
            doc, label = load(name)
        except (OSError, ValueError) as e:
            print(f"FAIL {name}: not readable JSON: {one_line(e)}")
            failed += 1
            continue
        errors = list(validator.iter_errors(doc))
        if not errors:
            print(f"ok {label}")
            continue
        failed += 1
        best = best_match(errors)
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        print(f"FAIL {label}: {where(best)}: {one_line(best.message)}{more}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
