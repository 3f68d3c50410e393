#!/bin/bash
# netcheck probe --project: a Compose project of the test's own (Debian's
# docker-compose 1.29, two services of a busybox image the test imports:
# no registry is reachable, and compose is told never to pull), probed as
# one report with a section per service and one exit code.
#   - web publishes TCP 80 on every address, db on 127.0.0.1 only: a remote
#     client reaches web, and is expected not to reach db
#   - JSON: project.services = [db, web], each with its container and paths,
#     path names qualified by the service; JUnit: a testsuite per service
#   - capture points: each container's eth0 by its service (eth0@db, eth0@web),
#     every name unique; the text header names the project
#   - a project with no running container: one line, exit 64
#   - down (and its network) in the trap; the image the test imported removed
. "$(dirname "$0")/lib.sh"
need_root
need_engine

project=nctest-project-$$
cleanup() {
	compose_web_db_down "$project"
	rm -rf "$TMP"
}
trap cleanup EXIT

compose_web_db_up "$project"

rc=0
"$NETCHECK" probe --project "$project" --json "$TMP/p.json" --junit "$TMP/p.xml" >"$TMP/out" 2>"$TMP/err" || rc=$?
cat "$TMP/out" >&2
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "probe --project exited $rc: $(cat "$TMP/err")"
check_schema "$TMP/p.json"
expect_eq "exit code in the JSON" "$(json_get "$TMP/p.json" 'd["exit_code"]')" "$rc"
expect_eq "project name" "$(json_get "$TMP/p.json" 'd["project"]["name"]')" "$project"
expect_eq "services" "$(json_get "$TMP/p.json" '",".join(s["name"] for s in d["project"]["services"])')" "db,web"
expect_eq "web's container" "$(json_get "$TMP/p.json" 'd["project"]["services"][1]["containers"][0]["name"]')" \
	"${project}_web_1"
# each service's paths carry its name, and every path of "paths" is in one section
expect_eq "paths per section" "$(json_get "$TMP/p.json" \
	'sum(len(c["paths"]) for s in d["project"]["services"] for c in s["containers"])')" \
	"$(json_get "$TMP/p.json" 'len(d["paths"])')"
expect_eq "qualified names" "$(json_get "$TMP/p.json" \
	'all(pp["name"].split(":")[1].split("/")[0] == s["name"] for s in d["project"]["services"] for c in s["containers"] for pp in c["paths"])')" True
# web publishes on every address: its loopback path is there and reachable
expect_eq "web published-loopback" "$(json_get "$TMP/p.json" 'p["published-loopback:web"]["verdict"]')" reachable
expect_eq "db published-loopback" "$(json_get "$TMP/p.json" 'p["published-loopback:db"]["verdict"]')" reachable
# the user's apps are not netcheck's responder: no UDP paths are planned for them
expect_eq "no UDP paths" "$(json_get "$TMP/p.json" '[n for n in p if n.startswith("direct-udp")]')" "[]"
# a remote client (netcheck's namespace) reaches web; db's port is bound to 127.0.0.1 only:
# from there it is expected unreachable, and counts as expected
expect_eq "web published-remote" "$(json_get "$TMP/p.json" 'p["published-remote:web"]["verdict"]')" reachable
expect_eq "db published-remote expectation" \
	"$(json_get "$TMP/p.json" 'p["published-remote:db"]["expectation"]["verdict"]')" unreachable
expect_eq "db published-remote expected" "$(json_get "$TMP/p.json" 'p["published-remote:db"]["expected"]')" True
# web's published paths are attributed in web, not looked for at db's address (the
# run's container record is one of the two): packets seen in the container, and the
# mechanism the same as when web is probed alone
for path in published-host published-remote; do
	legs=$(json_get "$TMP/p.json" "sorted(set(e['leg'] for e in p['$path:web']['evidence'] if e['capture_point'] == 'eth0@web'))")
	[ "$legs" != "[]" ] || fail "$path:web: none of its packets attributed in the container: $(json_get "$TMP/p.json" "p['$path:web']['evidence']")"
done
# the project's services are the user's: as for `probe CONTAINER`, nothing is sent to them
# without --http (no HTTP request to a database), and the loopback paths still have
# docker-proxy's onward leg, tied to them by time alone
expect_eq "paths that sent HTTP to a user's service" \
	"$(json_get "$TMP/p.json" '[n for n, x in p.items() if "not as netcheck" in (x.get("detail") or "")]')" "[]"
for path in published-loopback:web published-loopback:db; do
	expect_eq "$path: docker-proxy's onward leg" \
		"$(json_get "$TMP/p.json" "any(h['leg'] == 'proxy-to-container' for h in p['$path']['evidence'])")" True
done
# each container's eth0 named by its service, every point's name unique, each
# container's own points carry its name; a path's packets never at the other's eth0
expect_eq "capture point names unique" \
	"$(json_get "$TMP/p.json" 'len(set(c["name"] for c in d["environment"]["capture_points"])) == len(d["environment"]["capture_points"])')" True
for svc in db web; do
	expect_eq "eth0@$svc's container" "$(json_get "$TMP/p.json" \
		"[c.get('container') for c in d['environment']['capture_points'] if c['name'] == 'eth0@$svc']")" "['${project}_${svc}_1']"
done
expect_eq "no container point named @container" \
	"$(json_get "$TMP/p.json" '[c["name"] for c in d["environment"]["capture_points"] if c["name"].endswith("@container")]')" "[]"
expect_eq "db's packets in web's eth0" "$(json_get "$TMP/p.json" \
	'[n for n in p if n.endswith(":db") for e in p[n]["evidence"] if e["capture_point"] == "eth0@web"]')" "[]"
expect_eq "direct-tcp:db seen in db" "$(json_get "$TMP/p.json" \
	'any(e["capture_point"] == "eth0@db" for e in p["direct-tcp:db"]["evidence"])')" True
# the header names the project, not one of its containers
grep -q "^Compose project $project: 2 running containers (services db, web)$" "$TMP/out" ||
	fail "no project header: $(head -5 "$TMP/out")"
"$NETCHECK" probe "${project}_web_1" --paths 'published-host,published-remote' --json "$TMP/web.json" >/dev/null 2>&1 || true
for path in published-host published-remote; do
	expect_eq "$path:web mechanism as web alone" "$(json_get "$TMP/p.json" "p['$path:web']['mechanism']")" \
		"$(json_get "$TMP/web.json" "p['$path']['mechanism']")"
done
# text: a header per service; JUnit: a suite per service
grep -q "^service db of Compose project $project" "$TMP/out" || fail "no text section for db"
grep -q "^service web of Compose project $project" "$TMP/out" || fail "no text section for web"
expect_eq "JUnit suites" "$(grep -c '<testsuite ' "$TMP/p.xml")" 2
grep -q '<testsuite name="netcheck:web"' "$TMP/p.xml" || fail "no JUnit suite for web"
# the project's containers are untouched
expect_eq "running after" "$(docker ps -q --filter "label=com.docker.compose.project=$project" | wc -l)" 2

# a project with no running container: one line, exit 64 (as a container that does not exist)
rc=0
"$NETCHECK" probe --project "nctest-none-$$" >"$TMP/none.out" 2>"$TMP/none.err" || rc=$?
expect_eq "no such project" "$rc" 64
expect_eq "one line" "$(wc -l <"$TMP/none.err")" 1
grep -q "no running container of Compose project 'nctest-none-$$'" "$TMP/none.err" || fail "$(cat "$TMP/none.err")"
echo "ok: probe --project: db and web, exit $(json_get "$TMP/p.json" 'd["exit_code"]')"
