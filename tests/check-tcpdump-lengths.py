#!/usr/bin/env python3
# -v prints what tcpdump prints: every packet line of a netcheck -v report
# (time, source, destination, TCP flags, length) is one of the lines
# `tcpdump -nn -r` prints for the pcapng netcheck wrote in that run.
# usage: check-tcpdump-lengths.py REPORT.txt CAPTURE.pcapng
import re, subprocess, sys
# -v: "    14:25:42.677266 docker0 in 172.17.0.2 > 172.17.0.1: ICMP echo reply, length 64"
vre = re.compile(r'^\s+(\d\d:\d\d:\d\d\.\d{6}) \S+ \S+ (\S+) > (\S+): (?:Flags \[([^\]]*)\]|UDP|ICMP6?[^,]*|ip-proto-\d+), length (\d+)$')
tre = re.compile(r'^(\d\d:\d\d:\d\d\.\d{6}) \S+\s+\S+\s+IP6? (\S+) > (\S+): (?:Flags \[([^\]]*)\].*?, length (\d+)|UDP, length (\d+)|ICMP6?,? [^,]*(?:, id \d+, seq \d+)?, length (\d+))')
mine = []
for line in open(sys.argv[1]):
    m = vre.match(line.rstrip('\n'))
    if m:
        mine.append((m.group(1), m.group(2), m.group(3), m.group(4) or '', int(m.group(5))))
out = subprocess.run(['tcpdump', '-nn', '-r', sys.argv[2]], capture_output=True, text=True).stdout
theirs = set()
for line in out.splitlines():
    m = tre.match(line)
    if m:
        length = next(int(g) for g in m.groups()[4:] if g is not None)
        theirs.add((m.group(1), m.group(2), m.group(3), m.group(4) or '', length))
missing = [k for k in mine if k not in theirs]
print(f"{len(mine)} -v packets, {len(theirs)} tcpdump packets, {len(missing)} -v packets tcpdump does not print alike")
for k in missing[:5]:
    print("  ", k)
sys.exit(1 if not mine or missing else 0)
