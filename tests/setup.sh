#!/bin/bash
# netcheck's one set-up for a fresh Debian 12 machine, as root:
#   bash tests/setup.sh run [ARGS...]   what building and running netcheck needs, an engine,
#                                       a build without the tests, then `netcheck run ARGS`
#   bash tests/setup.sh test            also every test suite's packages, a build with the
#                                       tests, then every test suite
# Installs only from Debian's archive.  Starts dockerd in the background
# when no engine answers (there may be no systemd), coping with a stale
# pid file or socket left by a killed daemon.
set -euo pipefail

cd "$(dirname "$0")/.."
mode=${1:-run}
[ $# -gt 0 ] && shift

log() { printf 'setup: %s\n' "$*" >&2; }

# `run`: building and running netcheck.  The responder is linked -static
# against glibc (libc.a: libc6-dev, part of build-essential); python3 embeds
# it into the binary; curl checks that the engine answers (tests/engine.sh).
# libmnl speaks netlink for the platform room, libcrypto (libssl-dev) hashes.
# The kernel's drop reasons are an eBPF program: clang -target bpf builds it,
# bpftool dumps the kernel's BTF and embeds it, libbpf loads it (the build
# turns the feature on when it finds all three).
RUN_PACKAGES=(
	build-essential meson ninja-build pkg-config python3 curl
	libuv1-dev libpcap-dev libjansson-dev libcurl4-openssl-dev libnftables-dev libnftnl-dev libmnl-dev
	libssl-dev libbpf-dev bpftool clang libyaml-dev
	docker.io iptables iproute2 procps
)
# `test`: the rest, for the test suites: cmocka (unit tests), Wireshark's
# tools, valgrind, clang's sanitizer runtime (fuzzing), the rootless labs and Podman, and what
# building, linting and installing the Debian package needs (scdoc for the
# man page, debhelper, lintian, man-db/groff for the page's checks,
# libcap2-bin for setcap/getcap, adduser for the package's group), and
# openssh-server for the ssh:// engine test's own sshd (Debian's service is
# not started in containers; the test runs its own on a free port), and
# prometheus for the watch test, which runs a Prometheus of its own (its
# config, its data, a free loopback port): the package's own daemon is
# never wanted (see install_packages).
TEST_PACKAGES=(
	libcmocka-dev chromium
	tshark tcpdump conntrack python3-jsonschema valgrind strace libclang-rt-14-dev busybox-static openssl
	rootlesskit slirp4netns uidmap socat openssh-server docker-compose prometheus
	podman fuse-overlayfs passt runc conmon catatonit
	scdoc debhelper dpkg-dev fakeroot lintian man-db groff-base libcap2-bin adduser
)

# Debian's prometheus is a service: its postinst starts it (invoke-rc.d:
# /etc/init.d/prometheus where there is no systemd, the unit where there is),
# listening on every address on port 9090 with its data in /var/lib.  The
# tests want none of that (the watch test runs its own Prometheus on
# loopback), so while the packages install, a policy-rc.d denies every
# service start (both invoke-rc.d and deb-systemd-invoke ask it), unless the
# machine has one already (Debian's docker images do: exit 101).  Should a
# daemon have started all the same, the one the install started (by its full
# command line, the init script's and the unit's, and not running before)
# is stopped, and the service left disabled, so no boot starts it either.
PROMETHEUS_DAEMON="/usr/bin/prometheus"
prometheus_daemons() { ps -eo pid=,args= | awk -v a="$PROMETHEUS_DAEMON" '{p=$1; $1=""; sub(/^ /,"")} $0==a {print p}'; }

install_packages() { # PACKAGE...
	local missing=() p policy=/usr/sbin/policy-rc.d own_policy=0 before pid
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	before=$(prometheus_daemons)
	if [ ! -e "$policy" ] && [[ " ${missing[*]} " == *" prometheus "* ]]; then
		printf '#!/bin/sh\n# tests/setup.sh: no service starts while it installs packages\nexit 101\n' >"$policy"
		chmod 0755 "$policy"
		own_policy=1
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
	if [ "$own_policy" = 1 ]; then
		rm -f "$policy"
		trap - EXIT
	fi
	[[ " ${missing[*]} " == *" prometheus "* ]] || return 0
	for pid in $(prometheus_daemons); do
		grep -qx "$pid" <<<"$before" && continue
		log "stopping the prometheus daemon (pid $pid) the package's install started"
		if [ -d /run/systemd/system ]; then
			systemctl stop prometheus.service || true
		else
			kill -TERM "$pid" || true
		fi
	done
	if [ -d /run/systemd/system ]; then
		systemctl disable prometheus.service >/dev/null 2>&1 || true
	else
		update-rc.d prometheus disable >/dev/null 2>&1 || true
	fi
}

# run mode builds without the tests, so it needs no cmocka; test mode
# reconfigures the same tree with them
build() { # TESTS(true|false)
	local ci=false
	[ "${CI:-}" = "true" ] && ci=true
	if [ -d build ]; then
		meson setup --reconfigure build -Dci=$ci -Dtests="$1" >/dev/null
	else
		meson setup build -Dci=$ci -Dtests="$1" >/dev/null
	fi
	ninja -C build >/dev/null
}

# The labs' user-mode networking (slirp4netns, pasta) opens /dev/net/tun
# inside a user namespace: udev leaves it 0666; machines without udev don't.
fix_tun() {
	if [ -c /dev/net/tun ]; then
		chmod 0666 /dev/net/tun
	fi
}

case "$mode" in
run)
	install_packages "${RUN_PACKAGES[@]}"
	bash tests/engine.sh start
	build false
	exec ./build/netcheck/netcheck run "$@"
	;;
test)
	install_packages "${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
	fix_tun
	bash tests/engine.sh start
	build true
	exec bash tests/run-all.sh "$@"
	;;
*)
	log "unknown mode '$mode': use run or test"
	exit 64
	;;
esac
