#!/bin/bash
# The Debian package, end to end: build the .deb from a clean copy of the
# tree (outputs outside it), lintian without errors, install it with
# capture for group netcheck switched on non-interactively, check what it
# ships, then run it as two users: a member of netcheck (and of the engine
# socket's group) captures without root; anyone else cannot even execute
# it.  Reinstalling keeps the capabilities, answering no takes them away,
# purge leaves nothing.  The users, the group and the package go in the
# trap whatever happens.
. "$(dirname "$0")/lib.sh"
need_root
need_engine
for tool in dpkg-buildpackage dh lintian setcap getcap debconf-set-selections useradd runuser man; do
	command -v "$tool" >/dev/null || prerequisite_missing "$tool (bash tests/setup.sh test installs it)"
done
if dpkg-query -W -f='${Status}' netcheck 2>/dev/null | grep -q installed; then
	prerequisite_missing "a netcheck package is already installed; this test would purge it"
fi
MEMBER=nc-pkg-member
OTHER=nc-pkg-other
for u in $MEMBER $OTHER; do
	! getent passwd $u >/dev/null || prerequisite_missing "user $u exists already"
done
getent group netcheck >/dev/null && prerequisite_missing "group netcheck exists already"

cleanup() {
	dpkg --purge netcheck >/dev/null 2>&1 || true
	for u in $MEMBER $OTHER; do
		userdel $u 2>/dev/null || true
	done
	groupdel netcheck 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
PROGRAM=/usr/bin/netcheck
version=$("$NETCHECK" --version | awk 'NR == 1 {print $2}') # the first line; libraries and features follow

note "building the .deb from a copy of $NC_SRC"
src=$TMP/pkg/netcheck-$version
mkdir -p "$src"
tar -C "$NC_SRC" --exclude=./build --exclude='./build-*' --exclude=./.git -cf - . | tar -C "$src" -xf -
(cd "$src" && dpkg-buildpackage -b -us -uc -j2) >"$TMP/build.log" 2>&1 ||
	fail "dpkg-buildpackage: $(tail -40 "$TMP/build.log")"
deb=$(ls "$TMP"/pkg/netcheck_"$version"-*_*.deb)
changes=$(ls "$TMP"/pkg/netcheck_"$version"-*_*.changes)

lintian "$changes" >"$TMP/lintian.out" 2>&1 || true
if grep -q '^E: ' "$TMP/lintian.out"; then
	fail "lintian errors: $(grep '^E: ' "$TMP/lintian.out")"
fi
note "lintian: $(grep -c '^W: ' "$TMP/lintian.out") warnings"

note "installing with capture for group netcheck"
echo "netcheck netcheck/capture-without-root boolean true" | debconf-set-selections
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >"$TMP/install.log" 2>&1 ||
	fail "dpkg -i: $(cat "$TMP/install.log")"

expect_eq "man -w" "$(man -w netcheck)" /usr/share/man/man1/netcheck.1.gz
for f in /usr/share/bash-completion/completions/netcheck /usr/share/zsh/vendor-completions/_netcheck \
	/usr/share/netcheck/report.schema.json; do
	[ -f "$f" ] || fail "not installed: $f"
done
expect_eq "--version" "$($PROGRAM --version | sed -n 1p)" "netcheck $version"
check_privileged() {
	expect_eq "owner and mode" "$(stat -c '%U:%G %a' $PROGRAM)" "root:netcheck 750"
	getcap $PROGRAM | grep -qE 'cap_net_admin,cap_net_raw,cap_sys_admin[=+]ep' ||
		fail "capabilities: '$(getcap $PROGRAM)'"
	dpkg-statoverride --list $PROGRAM >/dev/null || fail "no statoverride for $PROGRAM"
}
check_privileged

socket_group=$(stat -c %G "$SOCK")
useradd -M -N -s /bin/sh -G "netcheck,$socket_group" $MEMBER
useradd -M -N -s /bin/sh $OTHER
chmod 0711 "$TMP"
mkdir -m 1777 "$TMP/work"
as() { # USER COMMAND...: a login-free shell of USER, its own groups, HOME in the scratch dir
	local user=$1
	shift
	(cd "$TMP/work" && runuser -u "$user" -- env HOME="$TMP/work" "$@")
}

note "member: a run that must capture (--require-capture) on the engine at $SOCK"
rc=0
as $MEMBER $PROGRAM run --require-capture --engine "unix://$SOCK" --json "$TMP/work/member.json" \
	>"$TMP/member.out" 2>"$TMP/member.err" || rc=$?
[ "$rc" != 77 ] || fail "the member lacks a privilege: $(cat "$TMP/member.err")"
[ -s "$TMP/work/member.json" ] || fail "member run (exit $rc) wrote no report: $(cat "$TMP/member.err")"
expect_eq "member's direct-tcp evidence" "$(json_get "$TMP/work/member.json" 'p["direct-tcp"]["evidence_state"]')" captured
# the package gives no CAP_SYS_PTRACE, without which a member may not open a root
# container's network namespace: the engine side's points come through the capture agent
expect_eq "member's capture agent" "$(json_get "$TMP/work/member.json" 'd["environment"]["capture_agent"]["used"]')" True
expect_eq "member's eth0@container has packets" \
	"$(json_get "$TMP/work/member.json" "sum(c['packets'] for c in d['environment']['capture_points'] if c['name'] == 'eth0@container') > 0")" True
# docker-proxy is root's: a member sees its socket on [::] but not its process, which is not
# "nothing listens there" -- published-loopback6 must fare as in root's run, not be skipped
$PROGRAM run --engine "unix://$SOCK" --json "$TMP/work/root.json" >/dev/null 2>&1 || note "root's run: exit $?"
# a member may not name a namespace under root's /run/netns: the remote client's is held by
# an fd from the start, and published-remote is probed and captured as in root's run
expect_eq "member's published-remote as root's" \
	"$(json_get "$TMP/work/member.json" 'p["published-remote"]["verdict"] + " " + p["published-remote"]["evidence_state"]')" \
	"$(json_get "$TMP/work/root.json" 'p["published-remote"]["verdict"] + " " + p["published-remote"]["evidence_state"]')"
ip netns list 2>/dev/null | grep -q '^netcheck-' && fail "a netcheck namespace is left: $(ip netns list)"
expect_eq "member's published-loopback6 as root's" \
	"$(json_get "$TMP/work/member.json" 'p["published-loopback6"]["verdict"] if "published-loopback6" in p else "none"')" \
	"$(json_get "$TMP/work/root.json" 'p["published-loopback6"]["verdict"] if "published-loopback6" in p else "none"')"
# A member's process must not keep its capabilities for the probes.  Known
# to fail while nc_platform_drop_privileges asks to keep CAP_DAC_OVERRIDE
# (the socket is root's, so run.c wants it) that a non-root process with
# file capabilities never held: capset fails with EPERM and nothing drops.
[ "$(json_get "$TMP/work/member.json" 'd["environment"]["privileges_dropped"]')" = True ] ||
	fail "the member's run kept cap_net_raw,cap_net_admin,cap_sys_admin (privileges_dropped false)"
[ "$rc" = 0 ] || note "member run exit $rc (not a privilege failure): $(tail -3 "$TMP/member.out")"

note "non-member: may not execute it"
rc=0
as $OTHER $PROGRAM --version >"$TMP/other.out" 2>"$TMP/other.err" || rc=$?
expect_eq "non-member exit" "$rc" 126
grep -q "Permission denied" "$TMP/other.err" || fail "non-member stderr: $(cat "$TMP/other.err")"

note "reinstalling (an upgrade) keeps owner, mode and capabilities"
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >"$TMP/install.log" 2>&1 ||
	fail "dpkg -i again: $(cat "$TMP/install.log")"
check_privileged

note "answering no takes them away"
echo "netcheck netcheck/capture-without-root boolean false" | debconf-set-selections
DEBIAN_FRONTEND=noninteractive dpkg-reconfigure -fnoninteractive netcheck >"$TMP/reconf.log" 2>&1 ||
	fail "dpkg-reconfigure: $(cat "$TMP/reconf.log")"
expect_eq "owner and mode after no" "$(stat -c '%U:%G %a' $PROGRAM)" "root:root 755"
expect_eq "capabilities after no" "$(getcap $PROGRAM)" ""
! dpkg-statoverride --list $PROGRAM >/dev/null || fail "statoverride left after no"

note "purge"
dpkg --purge netcheck >"$TMP/purge.log" 2>&1 || fail "dpkg --purge: $(cat "$TMP/purge.log")"
[ ! -e $PROGRAM ] || fail "$PROGRAM left after purge"
[ ! -e /usr/share/netcheck ] || fail "/usr/share/netcheck left after purge"
! dpkg-statoverride --list $PROGRAM >/dev/null || fail "statoverride left after purge"
[ -z "$(debconf-show netcheck 2>/dev/null)" ] || fail "debconf answers left after purge"
echo "PASS package"
