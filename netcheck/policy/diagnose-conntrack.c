/* What the kernel's conntrack entry of a path's own connection says
 * (p->conntrack, read by run after the probes): the observation a
 * diagnosis cites where the entry explains (a DNAT made and no reply back:
 * lost beyond the host's netfilter; no entry at all: the first packet never
 * left netfilter), and `source-address-lost` where the reply tuple shows
 * the client's address rewritten on a path whose client address the app
 * can be expected to see.
 *
 * Why an entry's absence says something: the kernel confirms a new
 * connection only when its first packet leaves netfilter (the last
 * postrouting hook, or local input); a packet dropped before that (a
 * filter rule, a failed route, rp_filter) takes its unconfirmed entry with
 * it.  A raw-table notrack rule is the one other way to have none. */
#include "netcheck/policy.h"
#include "diagnose-internal.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* The paths whose client has an address of its own that an app may log,
 * filter or answer by: a remote client, and this host by one of its
 * addresses.  Loopback clients never keep theirs (docker-proxy or a
 * masquerade rewrites 127.0.0.1 by design); swarm's routing mesh
 * masquerades by design too. */
static bool client_address_matters(const nc_path_t *p)
{
	return (p->kind == NC_PATH_PUBLISHED_REMOTE || p->kind == NC_PATH_PUBLISHED_REMOTE_UDP || p->kind == NC_PATH_PUBLISHED_HOST ||
		p->kind == NC_PATH_PUBLISHED_HOST_UDP) &&
	       !nc_endpoint_is_loopback(&p->local);
}

static bool source_rewritten(const nc_path_conntrack_t *ct)
{
	return ct->found && nc_endpoint_is_set(&ct->reply_dst) && !nc_endpoint_addr_equal(&ct->reply_dst, &ct->orig_src);
}

void nc_diagnose_observe_conntrack(nc_diagnosis_t *d, const nc_path_t *p)
{
	const nc_path_conntrack_t *ct = &p->conntrack;
	const char *proto = ct->proto == IPPROTO_UDP ? "udp" : "tcp";
	char src[NC_ENDPOINT_STRLEN], dst[NC_ENDPOINT_STRLEN], to[NC_ENDPOINT_STRLEN], from[NC_ENDPOINT_STRLEN];
	char nat[2 * NC_ENDPOINT_STRLEN + 64] = "";
	nc_observation_t *o;

	if (!ct->looked)
		return;
	nc_endpoint_format(&ct->orig_src, true, src, sizeof(src));
	nc_endpoint_format(&ct->orig_dst, true, dst, sizeof(dst));
	if (!ct->found) {
		o = nc_diagnosis_observe(d, NC_OBS_CONNTRACK, "the kernel tracks no %s connection %s > %s: its first "
				     "packet never left the host's netfilter (dropped before conntrack confirmed it, "
				     "or exempted by a notrack rule)", proto, src, dst);
	} else {
		size_t n = 0;

		nc_endpoint_format(&ct->reply_src, true, to, sizeof(to));
		nc_endpoint_format(&ct->reply_dst, false, from, sizeof(from));
		if (!nc_endpoint_equal(&ct->reply_src, &ct->orig_dst))
			n += (size_t)snprintf(nat + n, sizeof(nat) - n, ", DNAT to %s", to);
		if (source_rewritten(ct))
			n += (size_t)snprintf(nat + n, sizeof(nat) - n, ", source rewritten to %s", from);
		o = nc_diagnosis_observe(d, NC_OBS_CONNTRACK, "conntrack: %s %s > %s%s; %s%s%s", proto, src, dst,
				     n ? nat : ", no NAT", ct->state, ct->state[0] ? ", " : "",
				     ct->seen_reply ? "a reply came back" : ct->dnat ? "no reply came back from the translated address"
										       : "no reply came back");
	}
	if (o != NULL) {
		o->conntrack = *ct;
		snprintf(o->state, sizeof(o->state), "%s", ct->state);
	}
}

/* A failed path: the entry where it says where the packets went. */
void nc_diagnose_cite_conntrack(nc_path_t *p)
{
	switch (p->diagnosis.code) {
	case NC_DIAG_DROPPED:
	case NC_DIAG_REJECTED:
	case NC_DIAG_RESET:
	case NC_DIAG_NO_ANSWER:
	case NC_DIAG_FORWARDING_DISABLED:
	case NC_DIAG_NEIGHBOUR_FAILED:
	case NC_DIAG_KERNEL_DROP:
	case NC_DIAG_UNEXPLAINED:
		nc_diagnose_observe_conntrack(&p->diagnosis, p);
		break;
	default: /* the container's state, the publishing, the listeners: the entry adds nothing */
		break;
	}
}

/* A reachable path whose client address the app did not get: the
 * responder's word (the peer it saw) or the kernel's reply tuple (a SNAT
 * of the client's connection).  Returns whether it said so. */
bool nc_diagnose_source_lost(nc_path_t *p)
{
	const nc_path_conntrack_t *ct = &p->conntrack;
	bool seen_other = p->mechanism == NC_MECH_NAT && nc_endpoint_is_set(&p->peer_seen) &&
			  nc_endpoint_is_set(&p->local) && !nc_endpoint_addr_equal(&p->peer_seen, &p->local);
	bool snat = client_address_matters(p) && source_rewritten(ct);
	char seen[NC_ENDPOINT_STRLEN], local[NC_ENDPOINT_STRLEN];
	nc_observation_t *o;

	if (!seen_other && !snat)
		return false;
	nc_endpoint_format(seen_other ? &p->peer_seen : &ct->reply_dst, false, seen, sizeof(seen));
	nc_endpoint_format(&p->local, false, local, sizeof(local));
	nc_path_diagnose(p, NC_DIAG_SOURCE_ADDRESS_LOST,
			 "look for a MASQUERADE rule in the nat table's POSTROUTING chain (`iptables -t nat "
			 "-S POSTROUTING`); dockerd leaves one behind when userland-proxy is turned off and on",
			 "the app saw %s, not the client's %s: %s", seen, local,
			 seen_other ? "a masquerade rule rewrote the source address"
				    : "the kernel rewrote the source address (a SNAT in its conntrack entry)");
	if (seen_other) {
		o = nc_diagnosis_observe(&p->diagnosis, NC_OBS_SOCKET, "the app's socket saw its peer as %s; the "
								       "probe's socket was %s", seen, local);
		if (o != NULL)
			o->local = p->local;
	}
	nc_diagnose_observe_conntrack(&p->diagnosis, p);
	return true;
}

/* ---- a refused UDP datagram: who sent the ICMP port unreachable ------------ */

static void observe_refusal(nc_diagnosis_t *d, const nc_path_t *p, const char *from)
{
	nc_observation_t *o = nc_diagnosis_observe(d, NC_OBS_SOCKET, "the probe's socket heard an ICMP port "
						   "unreachable from %s", from);

	if (o != NULL) {
		o->local = p->refused_by;
		o->proto = NC_PROTO_UDP;
	}
}

/* The sender (p->refused_by, from the socket's error queue) against the
 * path's own addresses.  A refusal that crossed Docker's DNAT comes back
 * with its source turned into the published address (the kernel
 * translates an ICMP error like the reply it is to), so the conntrack
 * entry tells a container behind the NAT from this host itself. */
bool nc_diagnose_udp_refused(nc_path_t *p, const nc_diag_facts_t *f)
{
	const nc_path_conntrack_t *ct = &p->conntrack;
	bool translated = ct->found && ct->dnat;
	char from[NC_ENDPOINT_STRLEN], to[NC_ENDPOINT_STRLEN];

	if (nc_path_kind_proto(p->kind) != NC_PROTO_UDP || p->verdict != NC_VERDICT_REFUSED ||
	    !nc_endpoint_is_set(&p->refused_by))
		return false;
	nc_endpoint_format(&p->refused_by, false, from, sizeof(from));
	if ((nc_path_kind_is_direct(p->kind) && nc_endpoint_addr_equal(&p->refused_by, &p->target)) ||
	    (translated && (nc_endpoint_addr_equal(&p->refused_by, &ct->orig_dst) ||
			    nc_endpoint_addr_equal(&p->refused_by, &ct->reply_src)))) {
		nc_endpoint_format(translated ? &ct->reply_src : &p->target, true, to, sizeof(to));
		nc_path_diagnose(p, NC_DIAG_NOT_LISTENING, "check the UDP port the app listens on (--port)",
				 "the container's kernel refused the datagram: nothing listens on udp port %u in the "
				 "container (%s; the ICMP came from %s%s)", p->container_port, to, from,
				 translated ? ", through Docker's NAT" : "");
		observe_refusal(&p->diagnosis, p, from);
		if (translated)
			nc_diagnose_observe_conntrack(&p->diagnosis, p);
		if (f != NULL && f->have_listeners)
			nc_diagnose_observe_listeners(&p->diagnosis, p, f);
		return true;
	}
	if (nc_path_kind_is_published(p->kind) && nc_endpoint_addr_equal(&p->refused_by, &p->target)) {
		nc_path_diagnose(p, NC_DIAG_NO_FORWARDER, "check that the port is published for UDP (-p HOST:CONTAINER/udp)",
				 "this host refused the datagram (the ICMP came from %s): nothing listens on udp port %u "
				 "here and no NAT rule sent it on to the container", from, p->target.port);
		observe_refusal(&p->diagnosis, p, from);
		nc_diagnose_observe_conntrack(&p->diagnosis, p);
		return true;
	}
	if (f != NULL && nc_diagnose_witness(p, f))
		return true; /* the rule the trace met, or the kernel's drop, names it */
	nc_path_diagnose(p, NC_DIAG_REJECTED, "look for a REJECT rule on the way (`nft list ruleset`), or the host at that address",
			 "%s refused the datagram (an ICMP port unreachable), neither the container nor the address "
			 "dialled: a REJECT rule or a forwarder on the way", from);
	observe_refusal(&p->diagnosis, p, from); /* the entry is cited after (nc_diagnose_cite_conntrack) */
	return true;
}
