/* witness: what drop.bpf.c and witness-drop*.c share — the flow map's
 * entries, the ring buffer's events and the one matching function, compiled
 * for both the kernel (clang -target bpf) and user space, so the unit tests
 * run the very comparison the kernel makes.  Not part of the API.
 *
 * Plain fixed-width types only: the BPF side gets them from vmlinux.h, user
 * space from <linux/types.h>. */
#ifndef NETCHECK_WITNESS_DROP_ABI_H
#define NETCHECK_WITNESS_DROP_ABI_H

#ifndef __bpf__
#include <linux/types.h>
#define DROP_INLINE static inline
#else
#define DROP_INLINE static __always_inline
#endif

#define DROP_MAX_FLOWS 64      /* NC_DROP_MAX_FLOWS: the map's size, the kernel's loop bound */
#define DROP_RINGBUF_BYTES (256 * 1024)
#define DROP_SYMBOL_MAX 64     /* the kernel's "%pS" of the location, cut to fit */

/* A run's flow as the kernel compares it: a packet's fields XOR the
 * flow's, under the flow's masks (all ones where a field counts, zero
 * where any value matches), OR-ed together, are zero for a packet of the
 * flow.  No branch per field: the verifier checks one path, not one per
 * field and flow.  Addresses in network order, an IPv4 one in the first 4
 * bytes (the rest zero), as two words; ports in host order, sport << 16 |
 * dport; family 2 (AF_INET) or 10 (AF_INET6).  For ICMP and ICMPv6 a port
 * is the echo identifier. */
struct drop_flow {
	__u64 saddr[2];
	__u64 daddr[2];
	__u64 saddr_mask[2];
	__u64 daddr_mask[2];
	__u32 ports;
	__u32 ports_mask;
	__u8 proto;
	__u8 proto_mask;
	__u8 family;
	__u8 pad;
};

/* A dropped packet's headers as parsed (the same layout, all set). */
struct drop_packet {
	__u8 proto;
	__u8 family;
	__u8 icmp_type;           /* ICMP/ICMPv6 only */
	__u8 tcp_flags;           /* TCP only */
	__u16 sport;              /* host order; an echo's identifier both ways */
	__u16 dport;
	union {
		__u8 saddr[16];
		__u64 saddr64[2];
	};
	union {
		__u8 daddr[16];
		__u64 daddr64[2];
	};
};

/* One event on the ring buffer. */
struct drop_event {
	__u64 ts_ns;              /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 location;           /* the kernel address that freed the skb */
	__u32 reason;             /* enum skb_drop_reason */
	__u32 ifindex;            /* skb->dev's, else skb->skb_iif; 0 unknown */
	__u32 netns;              /* the device's netns inode; 0 unknown */
	__u16 flow;               /* index into the flow map */
	__u8 reply;               /* matched the flow reversed */
	__u8 pad;
	struct drop_packet packet;
	char symbol[DROP_SYMBOL_MAX]; /* "func+0xoff/0xsize" as the kernel names it; "" if it did not */
};

/* The counters the program keeps (its .bss), read by user space. */
struct drop_counters {
	__u64 seen;               /* kfree_skb calls with an IPv4/IPv6 header the program read */
	__u64 matched;            /* of them, of a run's flow */
	__u64 lost;               /* matched but the ring buffer was full */
};

/* What differs between the packet's addresses and ports (given the way
 * round) and the flow's, under its masks: 0 when they match. */
DROP_INLINE __u64 drop_flow_diff(const struct drop_flow *f, const __u64 *saddr, const __u64 *daddr, __u32 ports)
{
	return ((saddr[0] ^ f->saddr[0]) & f->saddr_mask[0]) | ((saddr[1] ^ f->saddr[1]) & f->saddr_mask[1]) |
	       ((daddr[0] ^ f->daddr[0]) & f->daddr_mask[0]) | ((daddr[1] ^ f->daddr[1]) & f->daddr_mask[1]) |
	       ((ports ^ f->ports) & f->ports_mask);
}

/* 0: not this flow; 1: the flow's direction; 2: reversed (a reply). */
DROP_INLINE int drop_flow_match(const struct drop_flow *f, const struct drop_packet *p)
{
	__u32 ports = (__u32)p->sport << 16 | p->dport, reversed = (__u32)p->dport << 16 | p->sport;

	if ((f->family ^ p->family) | ((f->proto ^ p->proto) & f->proto_mask))
		return 0;
	if (drop_flow_diff(f, p->saddr64, p->daddr64, ports) == 0)
		return 1;
	if (drop_flow_diff(f, p->daddr64, p->saddr64, reversed) == 0)
		return 2;
	return 0;
}

#endif
