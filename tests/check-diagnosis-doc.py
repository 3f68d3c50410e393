#!/usr/bin/env python3
"""docs/diagnosis.md against the one table of diagnosis codes.

usage: check-diagnosis-doc.py NETCHECK DIAGNOSIS_MD
       check-diagnosis-doc.py --self-test NETCHECK DIAGNOSIS_MD

The codes and their one-line meanings come from `netcheck explain` (the
model's table, netcheck/model/result.c).  The page must have exactly one
section per code, `## `CODE``, in the table's order, each quoting the
meaning verbatim on a `> ` line and saying what netcheck observes and how
to fix it; no section may name a code that does not exist.  A failure
prints the section to write, so a new code tells its author what the page
needs.  --self-test breaks a copy of the page in each of those ways and
fails unless every break is caught."""
import re
import subprocess
import sys

OBSERVES = "**What netcheck observes.**"
FIX = "**How to fix it.**"
PLACEHOLDER = re.compile(r"<(the facts netcheck records|what the user changes)")


def codes(netcheck):
    out = subprocess.run([netcheck, "explain"], check=True, capture_output=True, text=True).stdout
    table = []
    for line in out.splitlines():
        m = re.match(r"^(\S+)\s+(.*)$", line)
        if not m:
            raise SystemExit(f"FAIL: cannot read 'netcheck explain' line: {line!r}")
        table.append((m.group(1), m.group(2)))
    if not table:
        raise SystemExit("FAIL: 'netcheck explain' listed no code")
    return table


def sections(text):
    """[(code, body)] in page order"""
    parts = re.split(r"^## (.*)$", text, flags=re.M)
    found = []
    for heading, body in zip(parts[1::2], parts[2::2]):
        m = re.fullmatch(r"`([^`]+)`", heading.strip())
        found.append((m.group(1) if m else heading.strip(), body))
    return found


def template(code, meaning):
    return (f"## `{code}`\n\n> {meaning}\n\n{OBSERVES} <the facts netcheck records that make "
            f"netcheck/policy say {code}: which observations (source) it cites>\n\n{FIX} <what the "
            f"user changes, with the commands>\n")


def problems(table, text):
    out = []
    known = dict(table)
    page = sections(text)
    names = [c for c, _ in page]
    for code, meaning in table:
        if code not in names:
            out.append(f"docs/diagnosis.md has no section for '{code}' (netcheck explain lists it); "
                       f"add, after the section of the code before it in the table:\n\n{template(code, meaning)}")
    for code, body in page:
        if code not in known:
            out.append(f"docs/diagnosis.md has a section '## {code}', but netcheck explain has no such code")
            continue
        if names.count(code) > 1:
            out.append(f"docs/diagnosis.md has {names.count(code)} sections for '{code}'")
        quote = re.search(r"^> (.*)$", body, flags=re.M)
        if quote is None or quote.group(1).strip() != known[code]:
            out.append(f"section '{code}': its '> ' line must be the table's meaning, verbatim:\n> {known[code]}")
        for part in (OBSERVES, FIX):
            m = re.search(re.escape(part) + r"\s*(\S.*)", body, flags=re.S)
            if m is None or len(m.group(1).split()) < 5:
                out.append(f"section '{code}': it needs a paragraph starting '{part}' that says it")
        if PLACEHOLDER.search(body):
            out.append(f"section '{code}': still has the template's <placeholder>: write what it asks")
    order = [c for c in names if c in known]
    want = [c for c, _ in table if c in order]
    if order != want:
        out.append("docs/diagnosis.md: the sections are not in netcheck explain's order: " + ", ".join(want))
    return out


def self_test(table, text):
    code, meaning = table[0]
    first = sections(text)[0][1]
    unknown = "## `not-a-code`\n\n> x\n\n" + OBSERVES + " a b c d e\n\n" + FIX + " a b c d e\n"
    breaks = {
        "a code without a section": text.replace(f"## `{code}`" + first, ""),
        "a section of an unknown code": text + "\n" + unknown,
        "a changed meaning": text.replace("> " + meaning, "> " + meaning + " (changed)"),
        "a section twice": text + "\n## `" + code + "`" + first,
        "a section without its fix": text.replace(FIX, "**Fix.**", 1),
        "a template pasted as it is": text.replace(f"## `{code}`" + first, template(code, meaning)),
        "the order changed": text.replace(f"## `{code}`" + first, "") + "\n## `" + code + "`" + first,
    }
    if problems(table, text):
        raise SystemExit("FAIL: the page itself does not pass")
    for what, broken in breaks.items():
        if broken == text or not problems(table, broken):
            raise SystemExit(f"FAIL: the check misses {what}")
    print(f"PASS diagnosis-doc self-test ({len(breaks)} breaks caught)")


def main(argv):
    selftest = argv[:1] == ["--self-test"]
    if selftest:
        argv = argv[1:]
    if len(argv) != 2:
        raise SystemExit(__doc__)
    table = codes(argv[0])
    text = open(argv[1], encoding="utf-8").read()
    if selftest:
        return self_test(table, text)
    found = problems(table, text)
    for p in found:
        print("FAIL: " + p, file=sys.stderr)
    if found:
        raise SystemExit(1)
    print(f"PASS diagnosis-doc ({len(table)} codes, one section each)")


if __name__ == "__main__":
    main(sys.argv[1:])
