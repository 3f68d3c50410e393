#!/bin/bash
# netcheck's one set-up for a fresh Debian 12 machine, as root:
#   bash tests/setup.sh run [ARGS...]   packages, an engine, a build, then `netcheck run ARGS`
#   bash tests/setup.sh test            the same set-up, then every test suite
# Installs only from Debian's archive.  Starts dockerd in the background
# when no engine answers (there may be no systemd), coping with a stale
# pid file or socket left by a killed daemon.
set -euo pipefail

cd "$(dirname "$0")/.."
mode=${1:-run}
[ $# -gt 0 ] && shift

log() { printf 'setup: %s\n' "$*" >&2; }

PACKAGES=(
	build-essential meson ninja-build pkg-config python3 curl
	libuv1-dev libpcap-dev libjansson-dev libcmocka-dev libcurl4-openssl-dev
	docker.io iptables iproute2 procps chromium
	tshark python3-jsonschema valgrind strace clang libclang-rt-14-dev busybox-static openssl
	rootlesskit slirp4netns uidmap socat
	podman fuse-overlayfs passt runc conmon catatonit
)

install_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
	local ci=false
	[ "${CI:-}" = "true" ] && ci=true
	if [ -d build ]; then
		meson setup --reconfigure build -Dci=$ci >/dev/null
	else
		meson setup build -Dci=$ci >/dev/null
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

install_packages
fix_tun
bash tests/engine.sh start
build

case "$mode" in
run)
	exec ./build/netcheck/netcheck run "$@"
	;;
test)
	exec bash tests/run-all.sh "$@"
	;;
*)
	log "unknown mode '$mode': use run or test"
	exit 64
	;;
esac
