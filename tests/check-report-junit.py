#!/usr/bin/python3
"""Read netcheck's JUnit XML reports back and check them.

usage: check-report-junit.py XMLFILE [XMLFILE...]

Each file must parse (so every string was escaped and no control character
got through), have the shape CI tools read (testsuites > testsuite >
testcase, with failure, error or skipped), and counts that add up.  When a
JSON report of the same run sits beside it (same name, .json), the testcases
must be its paths: same names, an error exactly for each unexpected path
whose verdict is error, a failure exactly for each other unexpected path
(type = diagnosis code or verdict), skipped exactly for each expected
skipped path; a run that failed before any path is one testcase "run" in
error.  Prints "ok FILE" or "FAIL FILE: why"; exit 1 if any failed.
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


class Bad(Exception):
    pass


def need(cond, why):
    if not cond:
        raise Bad(why)


def count(el, attr):
    v = el.get(attr)
    need(v is not None and v.isdigit(), f"<{el.tag} name={el.get('name')!r}> {attr}={v!r} is not a count")
    return int(v)


def seconds(el):
    v = el.get("time")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise Bad(f"<{el.tag} name={el.get('name')!r}> time={v!r} is not seconds")
    need(f >= 0, f"<{el.tag}> negative time")
    return f


def check_case(case, kind):
    need(case.get("name"), "a testcase without a name")
    need(case.get("classname", "").startswith("netcheck."), f"testcase {case.get('name')}: classname {case.get('classname')!r}")
    if kind is not None:
        need(case.get("classname") == f"netcheck.{kind}", f"testcase {case.get('name')}: classname is not netcheck.{kind}")
    seconds(case)
    failures, skipped, errors = case.findall("failure"), case.findall("skipped"), case.findall("error")
    need(len(failures) + len(skipped) + len(errors) <= 1, f"testcase {case.get('name')}: more than one outcome")
    for f in errors:
        need(f.get("message", "").startswith(("verdict error", "run failed: ")),
             f"testcase {case.get('name')}: error message {f.get('message')!r}")
        need(f.get("type"), f"testcase {case.get('name')}: error without a type")
    for f in failures:
        need(f.get("message", "").startswith("verdict "), f"testcase {case.get('name')}: failure message {f.get('message')!r}")
        need(f.get("type"), f"testcase {case.get('name')}: failure without a type")
    for s in skipped:
        need(s.get("message"), f"testcase {case.get('name')}: skipped without a reason")
    return bool(failures), bool(skipped), bool(errors)


def check(name):
    root = ET.parse(name).getroot()
    need(root.tag == "testsuites", f"root is <{root.tag}>, not <testsuites>")
    suites = root.findall("testsuite")
    need(len(suites) >= 1, "no <testsuite>")
    companion = os.path.splitext(name)[0] + ".json"
    doc = None
    if os.path.exists(companion):
        with open(companion, encoding="utf-8") as f:
            doc = json.load(f)
    kind = doc["environment"]["kind"] if doc else None

    totals = {"tests": 0, "failures": 0, "skipped": 0, "errors": 0}
    cases = {}
    for suite in suites:
        sname = suite.get("name", "")
        need(sname == "netcheck" or sname.startswith("netcheck:"), f"testsuite name {sname!r}")
        if len(suites) > 1 and sname != "netcheck":
            need(sname == "netcheck:" + suite.get("hostname", ""), f"testsuite {sname!r}: hostname is not its node")
        need(TIMESTAMP.match(suite.get("timestamp", "")), f"testsuite {sname!r}: timestamp {suite.get('timestamp')!r}")
        need(suite.get("hostname"), f"testsuite {sname!r}: no hostname")
        need(suite.find("system-out") is not None and suite.find("system-out").text, f"testsuite {sname!r}: no system-out")
        seconds(suite)
        n = {"tests": 0, "failures": 0, "skipped": 0, "errors": 0}
        for case in suite.findall("testcase"):
            failed, skipped, errored = check_case(case, kind if case.get("name") != "run" else "run")
            need(case.get("name") not in cases, f"testcase {case.get('name')!r} twice")
            cases[case.get("name")] = case
            n["tests"] += 1
            n["failures"] += failed
            n["skipped"] += skipped
            n["errors"] += errored
        for k, v in n.items():
            need(count(suite, k) == v, f"testsuite {sname!r}: {k}={suite.get(k)} but {v} found")
            totals[k] += v
    for k, v in totals.items():
        need(count(root, k) == v, f"testsuites: {k}={root.get(k)} but {v} found")

    if doc is not None:
        paths = {p["name"]: p for p in doc["paths"]}
        if not paths and doc.get("error"):
            need(set(cases) == {"run"}, f"a run that failed before any path: testcases {sorted(cases)}, wanted ['run']")
            need(cases["run"].find("error") is not None, "the failed run's testcase is not an error")
            return len(suites), totals
        need(set(paths) == set(cases), f"testcases {sorted(cases)} are not the paths {sorted(paths)}")
        for pname, p in paths.items():
            case = cases[pname]
            skip = p["expected"] and p["verdict"] == "skipped"
            failure = case.find("failure")
            if failure is None:
                failure = case.find("error")
            need((failure is not None) == (not p["expected"]), f"{pname}: failure or error iff not expected")
            need((case.find("error") is not None) == (not p["expected"] and p["verdict"] == "error"),
                 f"{pname}: error iff an unexpected verdict error")
            need((case.find("skipped") is not None) == skip, f"{pname}: skipped iff an expected skip")
            if failure is not None:
                want = p["diagnosis"]["code"] if p["diagnosis"] else p["verdict"]
                need(failure.get("type") == want, f"{pname}: failure type {failure.get('type')!r}, wanted {want!r}")
                need(failure.get("message").startswith(f"verdict {p['verdict']}"), f"{pname}: message names another verdict")
        need(count(root, "failures") + count(root, "errors") == doc["summary"]["unexpected"],
             "failures + errors != summary.unexpected")
    return len(suites), totals


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    failed = 0
    for name in argv[1:]:
        try:
            suites, t = check(name)
            print(f"ok {name}: {suites} suite(s), {t['tests']} tests, {t['failures']} failures, {t['errors']} errors, {t['skipped']} skipped")
        except (Bad, ET.ParseError, OSError, ValueError, KeyError) as e:
            print(f"FAIL {name}: {e}")
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
