// SPDX-License-Identifier: GPL-2.0 OR MIT
/* witness: the kernel's side of the drop reasons (see witness-drop.c).
 *
 * On every skb:kfree_skb (a packet freed as dropped; consumed packets go
 * to skb:consume_skb and are never seen here) it reads the packet's
 * IPv4/IPv6 and TCP/UDP/ICMP headers from the skb's linear data, compares
 * them with the run's flows (the `flows` map, at most DROP_MAX_FLOWS,
 * written by user space before attaching) and, for a packet of a run's
 * flow only, puts {reason, location and its symbol, ifindex, netns,
 * headers, time} on the ring buffer.  Every reason is kept, SKB_DROP_REASON_NOT_SPECIFIED too:
 * the flow filter sits here in the kernel, so only the run's own packets
 * cost an event, and user space folds repeats into counts.
 *
 * "Dual MIT/GPL": the kernel lets only GPL-compatible programs call
 * bpf_probe_read_kernel(); netcheck itself stays MIT. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "witness-drop-abi.h"

#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ICMP_ 1
#define IPPROTO_ICMPV6_ 58

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* how many entries of `flows` are used: written by user space (the .bss
 * is mapped into it), so a program loaded early gets its flows later */
__u32 n_flows = 0;

struct drop_counters counters = {};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DROP_MAX_FLOWS);
	__type(key, __u32);
	__type(value, struct drop_flow);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, DROP_RINGBUF_BYTES);
} events SEC(".maps");

/* The transport header's fields at th (fragments other than the first
 * carry none: their ports stay 0 and no flow with ports matches them). */
static __always_inline void read_transport(const unsigned char *th, struct drop_packet *p)
{
	unsigned char l4[14] = {};

	if (bpf_probe_read_kernel(l4, sizeof(l4), th) < 0)
		return;
	if (p->proto == IPPROTO_TCP_ || p->proto == IPPROTO_UDP_) {
		p->sport = (__u16)(l4[0] << 8 | l4[1]);
		p->dport = (__u16)(l4[2] << 8 | l4[3]);
		if (p->proto == IPPROTO_TCP_)
			p->tcp_flags = l4[13];
	} else if (p->proto == IPPROTO_ICMP_ || p->proto == IPPROTO_ICMPV6_) {
		p->icmp_type = l4[0];
		/* an echo's identifier, both ways, as the trace table matches it */
		p->sport = p->dport = (__u16)(l4[4] << 8 | l4[5]);
	}
}

/* 0 and p filled, or -1: no IP header this program can read. */
static __always_inline int read_packet(struct sk_buff *skb, struct drop_packet *p)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh_off = BPF_CORE_READ(skb, network_header);
	const unsigned char *nh;
	unsigned char ip[40];
	int i;

	if (head == NULL || nh_off == (__u16)~0U)
		return -1;
	nh = head + nh_off;
	if (bpf_probe_read_kernel(ip, 20, nh) < 0)
		return -1;
	if ((ip[0] >> 4) == 4) {
		__u8 ihl = ip[0] & 0x0f;

		if (ihl < 5)
			return -1;
		p->family = 2;
		p->proto = ip[9];
		for (i = 0; i < 4; i++) {
			p->saddr[i] = ip[12 + i];
			p->daddr[i] = ip[16 + i];
		}
		if ((ip[6] & 0x1f) == 0 && ip[7] == 0) /* fragment offset 0 */
			read_transport(nh + ihl * 4, p);
		return 0;
	}
	if ((ip[0] >> 4) == 6) {
		if (bpf_probe_read_kernel(ip, 40, nh) < 0)
			return -1;
		p->family = 10;
		/* an extension header's packet keeps its next-header as proto:
		 * a flow's proto does not match it, as it should not guess */
		p->proto = ip[6];
		for (i = 0; i < 16; i++) {
			p->saddr[i] = ip[8 + i];
			p->daddr[i] = ip[24 + i];
		}
		read_transport(nh + 40, p);
		return 0;
	}
	return -1;
}

/* bpf_loop()'s state: the packet, and which flow it matched how */
struct match_state {
	struct drop_packet packet;
	__u32 flow;
	int how;
};

/* One flow against the packet; 1 (stop) when it matched.  A callback of
 * bpf_loop(), so the verifier checks the comparison once, not once per
 * flow: an unrolled loop over 64 flows took 134k instructions to verify
 * (tens of milliseconds of every run's load); with the branch-free
 * comparison of witness-drop-abi.h the whole program takes about 1,500. */
static long match_one(__u32 i, void *data)
{
	struct match_state *m = data;
	const struct drop_flow *f = bpf_map_lookup_elem(&flows, &i);

	if (f == NULL)
		return 1;
	int how = drop_flow_match(f, &m->packet);

	if (how == 0)
		return 0;
	m->how = how; /* written on a match only: fewer states for the verifier to tell apart */
	m->flow = i;
	return 1;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(netcheck_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	struct match_state m = {};
	struct drop_event *e;
	struct net_device *dev;
	__u64 args[1];
	__u32 n;

	if (read_packet(skb, &m.packet) < 0)
		return 0;
	__sync_fetch_and_add(&counters.seen, 1);
	n = n_flows;
	if (n == 0)
		return 0;
	bpf_loop(n < DROP_MAX_FLOWS ? n : DROP_MAX_FLOWS, match_one, &m, 0);
	if (m.how == 0)
		return 0;
	__sync_fetch_and_add(&counters.matched, 1);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (e == NULL) {
		__sync_fetch_and_add(&counters.lost, 1);
		return 0;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->location = (__u64)location;
	e->reason = (__u32)reason;
	dev = BPF_CORE_READ(skb, dev);
	e->ifindex = dev != NULL ? (__u32)BPF_CORE_READ(dev, ifindex) : (__u32)BPF_CORE_READ(skb, skb_iif);
	e->netns = dev != NULL ? BPF_CORE_READ(dev, nd_net.net, ns.inum) : 0;
	e->flow = (__u16)m.flow;
	e->reply = m.how == 2;
	e->pad = 0;
	e->packet = m.packet;
	/* the kernel names its own address (kallsyms_lookup, a binary search):
	 * user space need not scan /proc/kallsyms, which costs 100+ ms and
	 * shows zeroes without CAP_SYSLOG */
	args[0] = (__u64)location;
	if (bpf_snprintf(e->symbol, sizeof(e->symbol), "%pS", args, sizeof(args)) < 0)
		e->symbol[0] = '\0';
	bpf_ringbuf_submit(e, 0);
	return 0;
}
