/* Diagnosis from what the kernel was seen to do with the path's own
 * packets (facts.h's nc_diag_traced_t, nc_diag_witness_t): the rule the
 * nftables trace saw end them (dropped, rejected), the kernel's drop
 * reasons outside netfilter (forwarding disabled with the setting that
 * says so, a neighbour that never answered, no route, rp_filter, no
 * socket), and for `unexplained` what the witness looked at.  The detail
 * sentence is made from the observations' own words.  Pure: reads the
 * facts, writes the path's diagnosis.  Called by diagnose.c. */
#include "diagnose-internal.h"

#include <stdio.h>
#include <string.h>

static void observe_nft(nc_diagnosis_t *d, const nc_diag_traced_t *t)
{
	const nc_fw_drop_t *r = &t->rule;
	nc_observation_t *o;

	if (r->policy)
		o = nc_diagnosis_observe(d, NC_OBS_NFTRACE, "traced: %u packet(s)%s met the policy drop of %s %s %s",
					 t->nft_packets, t->nft_reply ? " of the answer" : "", r->family, r->table, r->chain);
	else
		o = nc_diagnosis_observe(d, NC_OBS_NFTRACE, "traced: %u packet(s)%s met %s %s %s handle %llu: %.150s",
					 t->nft_packets, t->nft_reply ? " of the answer" : "", r->family, r->table, r->chain,
					 (unsigned long long)r->handle, r->rule[0] ? r->rule : "(its text could not be read)");
	if (o == NULL)
		return;
	snprintf(o->family, sizeof(o->family), "%s", r->family);
	snprintf(o->table, sizeof(o->table), "%s", r->table);
	snprintf(o->chain, sizeof(o->chain), "%s", r->chain);
	snprintf(o->rule, sizeof(o->rule), "%s", r->rule);
	snprintf(o->verdict, sizeof(o->verdict), "%s", t->verdict);
	o->handle = r->handle;
}

static void observe_drop(nc_diagnosis_t *d, const nc_diag_kernel_drop_t *k)
{
	nc_observation_t *o = nc_diagnosis_observe(d, NC_OBS_DROP_REASON, "%s", k->text);

	if (o == NULL)
		return;
	snprintf(o->reason, sizeof(o->reason), "%s", k->reason);
	snprintf(o->location, sizeof(o->location), "%s", k->location);
}

static void observe_setting(nc_diagnosis_t *d, const char *name, int value)
{
	nc_observation_t *o;

	if (value < 0)
		return;
	o = nc_diagnosis_observe(d, NC_OBS_SYSCTL, "%s = %d", name, value);
	if (o == NULL)
		return;
	snprintf(o->name, sizeof(o->name), "%s", name);
	snprintf(o->value, sizeof(o->value), "%d", value);
}

/* Drops that say something about a path: not the ordinary frees of a TCP
 * stack (retransmits, old data), a capture socket's filter, or a
 * netfilter drop (the trace names that one, by its rule). */
static bool telling(const nc_diag_kernel_drop_t *k)
{
	static const char *const quiet[] = { "NOT_SPECIFIED", "SOCKET_FILTER", "SOCKET_CLOSE", "NETFILTER_DROP",
					     "OTHERHOST", "PKT_TOO_SMALL", "DUP_FRAG" };

	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		if (strcmp(k->reason, quiet[i]) == 0)
			return false;
	return strncmp(k->reason, "TCP_", 4) != 0 || strcmp(k->reason, "TCP_LISTEN_OVERFLOW") == 0;
}

static const nc_diag_kernel_drop_t *first_telling(const nc_diag_traced_t *t)
{
	for (size_t i = 0; t != NULL && i < t->n_drops; i++)
		if (telling(&t->drops[i]))
			return &t->drops[i];
	return NULL;
}

static bool diagnose_rule(nc_path_t *p, const nc_diag_traced_t *t)
{
	const nc_fw_drop_t *r = &t->rule;
	char which[NC_DIAG_DETAIL_MAX / 2], comment[NC_FW_RULE_MAX + 16] = "", remove[NC_DIAG_HINT_MAX];

	/* the command that lists the very chain, its rules with their handles */
	snprintf(remove, sizeof(remove), "remove or narrow that rule (`nft -a list chain %s %s %s`)",
		 r->family[0] ? r->family : "FAMILY", r->table[0] ? r->table : "TABLE", r->chain[0] ? r->chain : "CHAIN");
	if (t->comment[0])
		snprintf(comment, sizeof(comment), " (\"%.150s\")", t->comment);
	if (r->policy)
		snprintf(which, sizeof(which), "the policy of %s %s %s", r->family, r->table, r->chain);
	else
		snprintf(which, sizeof(which), "rule handle %llu in %s %s %s%s", (unsigned long long)r->handle, r->family,
			 r->table, r->chain, comment);
	if (r->reject)
		nc_path_diagnose(p, NC_DIAG_REJECTED, remove,
				 "%s rejected the path's %s: the kernel's trace of the run's own packets saw it, "
				 "and the answer came from this host, not the container", which,
				 t->nft_reply ? "answer" : "packets");
	else if (!r->policy && strncmp(r->chain, "DOCKER-ISOLATION", 16) == 0)
		/* Docker's own rule keeping one network from another: what
		 * the user changes is where the containers are, not the rule */
		nc_path_diagnose(p, NC_DIAG_DROPPED,
				 "put both containers on one network (`docker network connect NETWORK CONTAINER`)",
				 "%s dropped the path's %s: Docker isolates its networks from each other, and the "
				 "kernel's trace of the run's own packets saw it", which,
				 t->nft_reply ? "answer" : "packets");
	else
		nc_path_diagnose(p, NC_DIAG_DROPPED,
				 r->policy ? "accept the path in that chain, or change its policy"
					   : remove,
				 "%s dropped the path's %s: the kernel's trace of the run's own packets saw it", which,
				 t->nft_reply ? "answer" : "packets");
	observe_nft(&p->diagnosis, t);
	return true;
}

static bool forwarding_off(const nc_path_t *p, const nc_diag_witness_t *w)
{
	if (w == NULL || !w->have_sysctls)
		return false;
	return p->target.family == AF_INET6 ? w->ip6_forward == 0 : w->ip_forward == 0;
}

/* The interface k's packet came in on, when the kernel named it and its
 * own IPv4 forwarding was read: the kernel forwards what arrives on a
 * device by that device's value (ip_route_input_slow()), which writing
 * net.ipv4.ip_forward (conf/all) sets once and which may differ since. */
static bool ingress_known(const nc_path_t *p, const nc_diag_kernel_drop_t *k)
{
	return p->target.family != AF_INET6 && k->ifname[0] != '\0' && k->forwarding >= 0;
}

/* Whether the kernel refused to forward k's packet: by its ingress
 * interface's own setting where known, else by the global one. */
static bool not_forwarded(const nc_path_t *p, const nc_diag_witness_t *w, const nc_diag_kernel_drop_t *k)
{
	if (strcmp(k->reason, "NO_SOCKET") == 0)
		return false;
	return ingress_known(p, k) ? k->forwarding == 0 : forwarding_off(p, w);
}

static void diagnose_not_forwarded(nc_path_t *p, const nc_diag_witness_t *w, const nc_diag_kernel_drop_t *k)
{
	const char *name = p->target.family == AF_INET6 ? "net.ipv6.conf.all.forwarding" : "net.ipv4.ip_forward";
	const char *what = k->reply ? "answers" : "packets";
	bool on_if = ingress_known(p, k);
	char if_setting[NC_OBS_NAME_MAX], came_in[NC_OBS_NAME_MAX + 48] = "", hint[NC_DIAG_HINT_MAX];

	snprintf(if_setting, sizeof(if_setting), "net.ipv4.conf.%.15s.forwarding", k->ifname);
	if (on_if)
		snprintf(came_in, sizeof(came_in), ", as they came in on %.15s (%s = 0)", k->ifname, if_setting);
	if (forwarding_off(p, w)) {
		/* the hint is no format: the setting's name is spelled out */
		nc_path_diagnose(p, NC_DIAG_FORWARDING_DISABLED,
				 p->target.family == AF_INET6
					 ? "sysctl -w net.ipv6.conf.all.forwarding=1 (and make it stick in /etc/sysctl.d)"
					 : "sysctl -w net.ipv4.ip_forward=1 (and make it stick in /etc/sysctl.d)",
				 "%s is 0 and the kernel dropped the path's %s at %s (%s)%s: this host does not "
				 "forward them to the container", name, what, k->location, k->reason, came_in);
	} else {
		/* conf/all is on, the one interface that decides is off */
		snprintf(hint, sizeof(hint), "sysctl -w %s=1 (and make it stick in /etc/sysctl.d): setting "
			 "net.ipv4.ip_forward once does not keep every interface's on", if_setting);
		nc_path_diagnose(p, NC_DIAG_FORWARDING_DISABLED, hint,
				 "%s is 0 (%s) and the kernel dropped the path's %s at %s (%s) as they came in on %.15s: "
				 "the kernel forwards only what arrives on an interface whose own forwarding is on",
				 if_setting, w != NULL && w->have_sysctls && w->ip_forward == 1 ? "net.ipv4.ip_forward is 1"
												 : "whatever net.ipv4.ip_forward says",
				 what, k->location, k->reason, k->ifname);
	}
	observe_drop(&p->diagnosis, k);
	if (w != NULL && w->have_sysctls)
		observe_setting(&p->diagnosis, name, p->target.family == AF_INET6 ? w->ip6_forward : w->ip_forward);
	if (on_if)
		observe_setting(&p->diagnosis, if_setting, k->forwarding);
}

static bool diagnose_kernel_drop(nc_path_t *p, const nc_diag_facts_t *f, const nc_diag_kernel_drop_t *k)
{
	if (strncmp(k->reason, "NEIGH_", 6) == 0) {
		nc_path_diagnose(p, NC_DIAG_NEIGHBOUR_FAILED, "check that the next hop is up and on this link (`ip neigh`)",
				 "the kernel dropped the path's packets at %s (%s): the next hop never answered ARP or "
				 "neighbour discovery", k->location, k->reason);
	} else if (not_forwarded(p, f->witness, k)) {
		diagnose_not_forwarded(p, f->witness, k);
		return true;
	} else if (strcmp(k->reason, "NO_SOCKET") == 0) {
		nc_path_diagnose(p, NC_DIAG_NOT_LISTENING, nc_diagnose_port_hint(p),
				 "the kernel found no socket for the path's packets (%s, at %s): nothing listens there",
				 k->reason, k->location);
	} else {
		nc_path_diagnose(p, NC_DIAG_KERNEL_DROP,
				 strncmp(k->reason, "IP_RPFILTER", 11) == 0
					 ? "the reverse-path filter refused the source: check net.ipv4.conf.*.rp_filter"
					 : "check the routes and settings on the path's way (`ip route get`, `sysctl net`)",
				 "the kernel dropped the path's %s at %s: %s", k->reply ? "answers" : "packets",
				 k->location, k->reason);
	}
	observe_drop(&p->diagnosis, k);
	return true;
}

bool nc_diagnose_witness(nc_path_t *p, const nc_diag_facts_t *f)
{
	const nc_diag_traced_t *t = f != NULL ? f->traced : NULL;
	const nc_diag_kernel_drop_t *k;

	if (t == NULL)
		return false;
	if (t->nft_drop)
		return diagnose_rule(p, t);
	k = first_telling(t);
	return k != NULL && diagnose_kernel_drop(p, f, k);
}

size_t nc_diagnose_witness_looked(nc_diagnosis_t *d, const nc_path_t *p, const nc_diag_facts_t *f, char *buf,
				  size_t len)
{
	const nc_diag_witness_t *w = f != NULL ? f->witness : NULL;
	const nc_diag_traced_t *t = f != NULL ? f->traced : NULL;
	size_t o = 0;

	if (w == NULL || len == 0)
		return 0;
	buf[0] = '\0';
	if (w->trace_status == 0 && t != NULL && t->traced) {
		o += (size_t)snprintf(buf + o, len - o, "the nftables trace (%u events, no drop)", w->trace_events);
		nc_diagnosis_observe(d, NC_OBS_NFTRACE, "traced: %u passage(s) of the path's packets, none dropped by a "
							"rule or a policy", t->passages);
	} else if (w->trace_status < 0) {
		o += (size_t)snprintf(buf + o, len - o, "the nftables trace (off: %.80s)", w->trace_error);
	}
	if (o >= len)
		return len - 1;
	if (w->drop_status == 0) {
		o += (size_t)snprintf(buf + o, len - o, "%sthe kernel's drop reasons (%s)", o ? ", " : "",
				      t != NULL && t->n_drops > 0 ? "none that explains it" : "none");
		for (size_t i = 0; t != NULL && i < t->n_drops; i++)
			observe_drop(d, &t->drops[i]);
	} else {
		o += (size_t)snprintf(buf + o, len - o, "%sthe kernel's drop reasons (off: %.80s)", o ? ", " : "",
				      w->drop_error);
	}
	if (o < len && w->have_sysctls && forwarding_off(p, w) == false)
		o += (size_t)snprintf(buf + o, len - o, ", the host's forwarding settings (on)");
	return o < len ? o : len - 1;
}
