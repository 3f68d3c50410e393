#!/bin/sh
# Reads back what capture/pcapng.c writes, with Wireshark's own readers.
#
# usage: pcapng-readback.sh DEMO_BINARY
#   DEMO_BINARY: tests/pcapng-writer-demo built against capture/pcapng.c
#
# Checks, on the pcapng file: capinfos sees the section header strings, two
# interfaces (names, description, nanosecond resolution, one statistics
# block each) and 5 packets; tshark returns every packet's interface,
# comment, direction and nanosecond timestamp exactly, and valid checksums;
# every prefix of the file that ends on a block boundary (what a killed
# process leaves) is readable with the packets written so far.  On the
# classic pcap file: nanosecond pcap, same 5 packets, no comments.
#
# Exit: 0 pass, 1 mismatch, 77 skip (tshark/capinfos missing, outside CI).
set -eu

demo=${1:?usage: $0 DEMO_BINARY}

need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ -n "${CI:-}" ]; then
		echo "FAIL: $1 not installed (apt-get install -y tshark)" >&2
		exit 1
	fi
	echo "SKIP: $1 not installed (apt-get install -y tshark)" >&2
	exit 77
}
need tshark
need capinfos

dir=$(mktemp -d /tmp/pcapng-readback.XXXXXX)
trap 'rm -rf "$dir"' EXIT
status=0

fail() {
	echo "FAIL: $*" >&2
	status=1
}

# Runs a Wireshark tool with stdout to $dir/out.  A non-zero exit or any
# stderr line other than the as-root warning (e.g. "appears to have been
# cut short", "malformed") is a failure.
run() {
	if ! "$@" >"$dir/out" 2>"$dir/err"; then
		fail "$* exited non-zero"
		cat "$dir/err" >&2
	fi
	if grep -v -e 'Running as user' -e 'could be dangerous' "$dir/err" >&2; then
		fail "$* printed warnings"
	fi
}

# capinfos -M output with runs of spaces squeezed, for exact line matches.
capinfos_lines() {
	run capinfos -M "$1"
	tr -s ' ' <"$dir/out" | sed 's/^ //' >"$dir/capinfos"
}

expect_line() {
	grep -Fxq -- "$2" "$dir/capinfos" || fail "$1: capinfos lacks line '$2'"
}

expect_count() {
	n=$(grep -Fxc -- "$3" "$dir/capinfos" || true)
	[ "$n" = "$2" ] || fail "$1: '$3' appears $n times, want $2"
}

compare() {
	if ! diff -u "$dir/want" "$dir/out" >&2; then
		fail "$1: tshark output differs (- want, + got)"
	fi
}

ng="$dir/demo.pcapng"
pcap="$dir/demo.pcap"
"$demo" "$ng" || { echo "FAIL: $demo $ng failed" >&2; exit 1; }
"$demo" "$pcap" --pcap || { echo "FAIL: $demo $pcap --pcap failed" >&2; exit 1; }

# --- pcapng: file-level view
capinfos_lines "$ng"
expect_line pcapng "File type: pcapng"
expect_line pcapng "File encapsulation: ether"
expect_line pcapng "File timestamp precision: nanoseconds (9)"
expect_line pcapng "Number of packets: 5"
expect_line pcapng "Capture application: netcheck 0.1.0"
expect_line pcapng "Number of interfaces in file: 2"
expect_line pcapng "Name = lo"
expect_line pcapng "Name = veth1a2b3c4"
expect_line pcapng "Description = host veth of container 1a2b3c"
expect_count pcapng 1 "Description = host veth of container 1a2b3c"
expect_count pcapng 2 "Time resolution = 0x09"
expect_count pcapng 2 "Number of stat entries = 1"
expect_line pcapng "Number of packets = 3"
expect_line pcapng "Number of packets = 2"
grep -q '^Capture oper-sys: .' "$dir/capinfos" || fail "pcapng: no shb_os"

# --- pcapng: per packet, exactly
cat >"$dir/want" <<'EOF'
0|lo||path=published-loopback leg=client|0x00000002|1700000000.000000001|127.0.0.1|8080
1|veth1a2b3c4|host veth of container 1a2b3c|path=published-loopback leg=container|0x00000002|1700000000.000150001|172.17.0.1|80
1|veth1a2b3c4|host veth of container 1a2b3c|path=published-loopback leg=container|0x00000001|1700000000.000300001|172.17.0.2|40000
0|lo||path=published-loopback leg=client|0x00000001|1700000000.000450001|127.0.0.1|40000
0|lo||path=published-loopback leg=client request=GET /|0x00000002|1700000000.000600001|127.0.0.1|8080
EOF
run tshark -r "$ng" -T fields -E separator='|' \
	-e frame.interface_id -e frame.interface_name -e frame.interface_description \
	-e frame.comment -e frame.packet_flags_direction -e frame.time_epoch \
	-e ip.src -e tcp.dstport
compare "pcapng fields"

printf '1|1\n1|1\n1|1\n1|1\n1|1\n' >"$dir/want"
run tshark -r "$ng" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
	-T fields -E separator='|' -e ip.checksum.status -e tcp.checksum.status
compare "checksums (1 = good)"

printf '5\n' >"$dir/want"
run tshark -r "$ng" -Y 'frame.comment contains "request=GET /" && http.request.method == "GET"' \
	-T fields -e frame.number
compare "display filter on a comment"

# --- pcapng: every prefix ending on a block boundary is a valid file.
# Walks the blocks here too (independently of the unit tests): the length
# at offset 4 must equal the one in the last 4 bytes.  od reads host byte
# order, the order the file was written in.
u32() { od -An -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }
size=$(stat -c %s "$ng")
off=0
packets=0
blocks=0
while [ "$off" -lt "$size" ]; do
	type=$(u32 "$ng" "$off")
	len=$(u32 "$ng" $((off + 4)))
	if [ -z "$len" ] || [ "$len" -lt 12 ] || [ $((len % 4)) -ne 0 ] ||
		[ $((off + len)) -gt "$size" ]; then
		fail "block at $off: bad length '$len'"
		break
	fi
	trailer=$(u32 "$ng" $((off + len - 4)))
	[ "$trailer" = "$len" ] || fail "block at $off: trailer $trailer != length $len"
	off=$((off + len))
	blocks=$((blocks + 1))
	[ "$type" = 6 ] && packets=$((packets + 1))
	head -c "$off" "$ng" >"$dir/prefix.pcapng"
	capinfos_lines "$dir/prefix.pcapng"
	expect_line "prefix of $off bytes" "Number of packets: $packets"
done
[ "$off" = "$size" ] || fail "blocks do not tile the file ($off of $size bytes)"
# SHB + 2 IDB + 5 EPB + 2 ISB
[ "$blocks" = 10 ] || fail "found $blocks blocks, want 10"

# --- classic pcap: same packets, nanoseconds, nothing else
capinfos_lines "$pcap"
expect_line pcap "File type: nsecpcap"
expect_line pcap "File encapsulation: ether"
expect_line pcap "Number of packets: 5"
expect_line pcap "Packet size limit: file hdr: 262144 bytes"
cat >"$dir/want" <<'EOF'
||1700000000.000000001|127.0.0.1|8080
||1700000000.000150001|172.17.0.1|80
||1700000000.000300001|172.17.0.2|40000
||1700000000.000450001|127.0.0.1|40000
||1700000000.000600001|127.0.0.1|8080
EOF
run tshark -r "$pcap" -T fields -E separator='|' \
	-e frame.interface_name -e frame.comment -e frame.time_epoch -e ip.src -e tcp.dstport
compare "pcap fields"

if [ "$status" = 0 ]; then
	echo "PASS: pcapng and pcap read back by $(tshark --version 2>/dev/null | head -n 1)"
fi
exit "$status"
