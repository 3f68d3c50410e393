#!/bin/sh
# Renders netcheck's HTML reports in headless Chromium and checks what the
# browser built from them.
#
# usage: check-report-html.sh SCREENSHOT_DIR HTMLFILE [HTMLFILE...]
#
# For each page, Chromium's --dump-dom (the DOM after parsing, as a browser
# sees it) must hold one <section id="path-NAME"> per path of the JSON
# report beside it (same name, .json), each with an <svg> that has a
# <title>; no <script>, no <link>, no src= or url() reaching outside the
# page.  A screenshot of each page (1280x2000) is kept in SCREENSHOT_DIR as
# report-NAME.png, a test artifact.  Chromium only opens file:// pages and
# gets every switch that stops it calling home.
#
# Exit: 0 pass, 1 mismatch, 77 skip (chromium or python3 missing, outside
# CI; under CI=true or NC_CI=1 a missing prerequisite fails instead).
set -eu

shots=${1:?usage: $0 SCREENSHOT_DIR HTMLFILE...}
shift

in_ci() { [ "${CI:-}" = true ] || [ "${NC_CI:-0}" = 1 ]; }

chromium=
for c in chromium chromium-browser; do
	if command -v "$c" >/dev/null 2>&1; then
		chromium=$c
		break
	fi
done
for need in "$chromium" python3; do
	[ -n "$need" ] && command -v "$need" >/dev/null 2>&1 && continue
	what=${need:-chromium}
	if in_ci; then
		echo "FAIL: $what not installed (apt-get install -y $what); tests/setup.sh installs it" >&2
		exit 1
	fi
	echo "SKIP: $what not installed (apt-get install -y $what)" >&2
	exit 77
done

mkdir -p "$shots"
work=$(mktemp -d /tmp/check-report-html.XXXXXX)
trap 'rm -rf "$work"' EXIT

browse() {
	# a fresh profile each time: nothing carried between runs
	profile=$(mktemp -d "$work/profile.XXXXXX")
	timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" "$@" 2>>"$work/chromium.log"
}

status=0
for page in "$@"; do
	case $page in /*) ;; *) page=$PWD/$page ;; esac
	name=$(basename "$page" .html)
	json=${page%.html}.json
	# one browser run: the DOM on stdout, the screenshot to the file
	rm -f "$shots/$name.png"
	if ! browse --dump-dom --screenshot="$shots/$name.png" --window-size=1280,2000 --hide-scrollbars \
			"file://$page" >"$work/$name.dom" || [ ! -s "$shots/$name.png" ]; then
		echo "FAIL $page: chromium did not render it (no DOM or no screenshot):" >&2
		tail -5 "$work/chromium.log" >&2
		status=1
		continue
	fi
	python3 - "$work/$name.dom" "$json" "$page" <<'PY' || status=1
import html.parser
import json
import os
import re
import sys

dom_file, json_file, page = sys.argv[1:4]


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []          # open elements: (tag, attrs)
        self.sections = {}       # id -> {"svg": n, "title": bool}
        self.bad = []

    def section(self):
        for tag, attrs in reversed(self.stack):
            if tag == "section" and attrs.get("id", "").startswith("path-"):
                return self.sections[attrs["id"]]
        return None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "link", "iframe", "object", "embed", "img"):
            self.bad.append(f"<{tag}>")
        for k, v in a.items():
            if k in ("src", "srcset") or (k == "href" and not (v or "").startswith("#")):
                self.bad.append(f"<{tag} {k}={v!r}>")
            if k.startswith("on"):
                self.bad.append(f"<{tag} {k}>")
        if tag == "section" and a.get("id", "").startswith("path-"):
            if a["id"] in self.sections:
                self.bad.append(f"two sections {a['id']}")
            self.sections[a["id"]] = {"svg": 0, "title": False}
        s = self.section()
        if s is not None and tag == "svg":
            s["svg"] += 1
        if s is not None and tag == "title" and self.stack and self.stack[-1][0] == "svg":
            s["title"] = True
        if tag not in ("meta", "br", "rect", "path", "img", "link", "input", "hr"):
            self.stack.append((tag, a))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break


dom = Dom()
with open(dom_file, encoding="utf-8") as f:
    text = f.read()
dom.feed(text)
fail = list(dom.bad)
if re.search(r"url\((?!#)", text):
    fail.append("url() to something outside the page")
with open(json_file, encoding="utf-8") as f:
    paths = [p["name"] for p in json.load(f)["paths"]]
want = {"path-" + re.sub(r"\s", "_", n) for n in paths}
if set(dom.sections) != want:
    fail.append(f"sections {sorted(dom.sections)} are not the paths {sorted(want)}")
for sid, s in dom.sections.items():
    if s["svg"] != 1:
        fail.append(f"{sid}: {s['svg']} <svg>, wanted 1")
    if not s["title"]:
        fail.append(f"{sid}: the <svg> has no <title>")
if fail:
    print(f"FAIL {page}: " + "; ".join(fail))
    sys.exit(1)
print(f"ok {page}: {len(dom.sections)} path sections, each with an <svg>")
PY
done
exit $status
