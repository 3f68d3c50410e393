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
# not started in containers; the test runs its own on a free port).
TEST_PACKAGES=(
	libcmocka-dev chromium
	tshark tcpdump conntrack python3-jsonschema valgrind strace libclang-rt-14-dev busybox-static openssl
	rootlesskit slirp4netns uidmap socat openssh-server docker-compose
	podman fuse-overlayfs passt runc conmon catatonit
	scdoc debhelper dpkg-dev fakeroot lintian man-db groff-base libcap2-bin adduser
)

install_packages() { # PACKAGE...
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
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
