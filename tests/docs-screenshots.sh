#!/bin/bash
# Makes docs/report-html.png and docs/report-html-failure.png: screenshots
# of real runs' HTML reports, rendered by headless Chromium (Debian's
# `chromium`) through tests/check-report-html.sh, which also checks the
# page against its JSON.  Not a test: run it by hand, as root, with an engine,
# when the HTML changes:
#   bash tests/docs-screenshots.sh build/netcheck/netcheck
#   - report-html.png: `netcheck run --peer` (every path of netcheck's own
#     container, the peer's paths included)
#   - report-html-failure.png: `netcheck probe` of a busybox httpd bound to
#     127.0.0.1 inside its container (the suite's image), published with -p
# Everything it starts is removed (trap).
NC_SRC=$(cd "$(dirname "$0")/.." && pwd)
. "$NC_SRC/tests/integration/lib.sh"
need_root
need_engine

tag=ncdocs-$$
cleanup() {
	group_remove "$tag"
	remove_images
	rm -rf "$TMP"
}
trap cleanup EXIT

"$NETCHECK" run --peer --html "$TMP/report-html.html" --json "$TMP/report-html.json" >/dev/null ||
	fail "netcheck run --peer did not pass"
busybox_image "$tag-app:loopback" '["httpd","-f","-p","127.0.0.1:80","-h","/www"]'
group_start "$tag" web -p 80 "$tag-app:loopback"
sleep 0.5
rc=0
"$NETCHECK" probe "$tag-web" --html "$TMP/report-html-failure.html" --json "$TMP/report-html-failure.json" \
	>/dev/null || rc=$?
expect_eq "probe of the loopback-bound app" "$rc" 1
sh "$NC_SRC/tests/check-report-html.sh" "$TMP" "$TMP/report-html.html" "$TMP/report-html-failure.html" ||
	fail "chromium did not render the pages as their JSON says"
cp "$TMP/report-html.png" "$TMP/report-html-failure.png" "$NC_SRC/docs/"
note "wrote docs/report-html.png and docs/report-html-failure.png"
