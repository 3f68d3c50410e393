/* witness: following a run's packets through the trace events.
 *
 * Owns the passages of each flow.  Reads NFT_MSG_TRACE messages (parsed
 * by libnftnl) and groups them by packet: every packet of a run's flow
 * meets the trace table's chain first (priority -350, where it enters:
 * prerouting or output), and that event starts its passage; the kernel's
 * trace id (the same for one packet through one pass of the hooks) ties
 * the events after it, in whatever table, to that packet.  The events of
 * the trace table itself are not steps: they say only that tracing began.
 * A passage ends when the same id starts again, when its slot is needed,
 * or at the end; passages with the same steps are one, counted.
 * May call: libnftnl, libmnl, model.  Never prints. */
#include "witness-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>

#ifdef NC_HAVE_NFTRACE
#include <libmnl/libmnl.h>
#include <arpa/inet.h>
#include <libnftnl/trace.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#endif

#include "netcheck/testing.h"

/* ---- the object without the kernel ------------------------------------------- */

int nc_witness_trace_offline(const char *table, const nc_trace_flow_t *flows, size_t n, nc_trace_t **ret)
{
	nc_trace_t *t;

	*ret = NULL;
	if (table == NULL || strlen(table) >= NC_TRACE_TABLE_MAX || flows == NULL || n == 0 ||
	    n > NC_TRACE_MAX_FLOWS)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->record_fd = -1;
	snprintf(t->table, sizeof(t->table), "%s", table);
	t->flows = calloc(n, sizeof(*t->flows));
	t->slots = calloc(TRACE_SLOTS, sizeof(*t->slots));
	if (t->flows == NULL || t->slots == NULL) {
		nc_witness_trace_collect_free(t);
		free(t);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		t->flows[i].flow = flows[i];
	t->n_flows = n;
	*ret = t;
	return 0;
}

int witness_trace_grow(nc_trace_t *t, const nc_trace_flow_t *flows, size_t n)
{
	trace_flow_state_t *grown;

	if (n > NC_TRACE_MAX_FLOWS || t->n_flows > NC_TRACE_MAX_FLOWS - n)
		return -EINVAL;
	grown = realloc(t->flows, (t->n_flows + n) * sizeof(*grown));
	if (grown == NULL)
		return -ENOMEM;
	t->flows = grown;
	memset(&t->flows[t->n_flows], 0, n * sizeof(*grown));
	for (size_t i = 0; i < n; i++)
		t->flows[t->n_flows + i].flow = flows[i];
	t->n_flows += n;
	return 0;
}

void nc_witness_trace_collect_free(nc_trace_t *t)
{
	if (t->flows != NULL)
		for (size_t i = 0; i < t->n_flows; i++)
			for (size_t j = 0; j < t->flows[i].n_passages; j++)
				free((void *)t->flows[i].passages[j].steps);
	free(t->flows);
	free(t->slots);
	for (size_t i = 0; i < t->n_names; i++)
		free(t->names[i]);
	free(t->names);
	t->flows = NULL;
	t->slots = NULL;
	t->names = NULL;
	t->n_names = 0;
}

void nc_witness_trace_record_to(nc_trace_t *t, int fd)
{
	t->record_fd = fd;
}

/* ---- reading the results ------------------------------------------------------- */

const char *nc_witness_trace_table(const nc_trace_t *t)
{
	return t->table;
}

size_t nc_witness_trace_flow_count(const nc_trace_t *t)
{
	return t == NULL ? 0 : t->n_flows;
}

size_t nc_witness_trace_passage_count(const nc_trace_t *t, size_t flow)
{
	return t == NULL || flow >= t->n_flows ? 0 : t->flows[flow].n_passages;
}

const nc_trace_passage_t *nc_witness_trace_passage(const nc_trace_t *t, size_t flow, size_t i)
{
	if (t == NULL || flow >= t->n_flows || i >= t->flows[flow].n_passages)
		return NULL;
	return &t->flows[flow].passages[i];
}

void nc_witness_trace_stats(const nc_trace_t *t, nc_trace_stats_t *ret)
{
	*ret = t->stats;
}

const nc_trace_step_t *nc_witness_trace_drop(const nc_trace_t *t, size_t flow, const nc_trace_passage_t **ret_passage)
{
	for (int reply = 0; reply <= 1; reply++)
		for (size_t i = 0; i < nc_witness_trace_passage_count(t, flow); i++) {
			const nc_trace_passage_t *p = nc_witness_trace_passage(t, flow, i);

			if (p->reply == (reply == 1) && p->n_steps > 0 && p->steps[p->n_steps - 1].verdict == 0 /* NF_DROP */) {
				if (ret_passage != NULL)
					*ret_passage = p;
				return &p->steps[p->n_steps - 1];
			}
		}
	if (ret_passage != NULL)
		*ret_passage = NULL;
	return NULL;
}

const char *nc_witness_verdict_name(int verdict)
{
	switch (verdict) {
	case 0: return "drop";
	case 1: return "accept";
	case 2: return "stolen";
	case 3: return "queue";
	case 4: return "repeat";
	case -1: return "continue";
	case -2: return "break";
	case -3: return "jump";
	case -4: return "goto";
	case -5: return "return";
	default: return "unknown";
	}
}

const char *nc_witness_family_name(uint8_t family)
{
	switch (family) {
	case 1: return "inet";
	case 2: return "ip";
	case 3: return "arp";
	case 5: return "netdev";
	case 7: return "bridge";
	case 10: return "ip6";
	default: return "unknown";
	}
}

/* ---- passages -------------------------------------------------------------------- */

static bool steps_equal(const nc_trace_step_t *a, const nc_trace_step_t *b)
{
	/* names are interned: one pointer per string */
	return a->family == b->family && a->type == b->type && a->table == b->table && a->chain == b->chain &&
	       a->jump_target == b->jump_target && a->handle == b->handle && a->verdict == b->verdict;
}

static bool passages_equal(const nc_trace_passage_t *a, const nc_trace_passage_t *b)
{
	if (a->reply != b->reply || a->tcp_flags != b->tcp_flags || a->truncated != b->truncated ||
	    a->n_steps != b->n_steps)
		return false;
	for (size_t i = 0; i < a->n_steps; i++)
		if (!steps_equal(&a->steps[i], &b->steps[i]))
			return false;
	return true;
}

/* The packet of s is done: counted with an equal passage, or kept. */
static void slot_close(nc_trace_t *t, trace_slot_t *s)
{
	trace_flow_state_t *f = &t->flows[s->flow];
	nc_trace_passage_t *p = &s->passage;
	nc_trace_step_t *steps;

	if (!s->used)
		return;
	s->used = false;
	p->steps = s->steps;
	for (size_t i = 0; i < f->n_passages; i++)
		if (passages_equal(&f->passages[i], p)) {
			f->passages[i].packets++;
			return;
		}
	if (f->n_passages == NC_TRACE_MAX_PASSAGES) {
		t->stats.passages_dropped++;
		return;
	}
	steps = malloc((p->n_steps > 0 ? p->n_steps : 1) * sizeof(*steps));
	if (steps == NULL) {
		t->stats.passages_dropped++;
		return;
	}
	memcpy(steps, s->steps, p->n_steps * sizeof(*steps));
	f->passages[f->n_passages] = *p;
	f->passages[f->n_passages].steps = steps;
	f->passages[f->n_passages].packets = 1;
	f->n_passages++;
}

void nc_witness_trace_flush(nc_trace_t *t)
{
	for (size_t i = 0; t->slots != NULL && i < TRACE_SLOTS; i++)
		slot_close(t, &t->slots[i]);
}

static trace_slot_t *slot_find(nc_trace_t *t, uint32_t id)
{
	for (size_t i = 0; i < TRACE_SLOTS; i++)
		if (t->slots[i].used && t->slots[i].id == id) {
			t->slots[i].last_use = ++t->clock;
			return &t->slots[i];
		}
	return NULL;
}

/* A new packet with trace id id: a free slot, or the one unused longest. */
static trace_slot_t *slot_open(nc_trace_t *t, uint32_t id, size_t flow, bool reply, uint8_t tcp_flags)
{
	trace_slot_t *s = &t->slots[0];

	for (size_t i = 0; i < TRACE_SLOTS; i++) {
		if (!t->slots[i].used) {
			s = &t->slots[i];
			break;
		}
		if (t->slots[i].last_use < s->last_use)
			s = &t->slots[i];
	}
	slot_close(t, s);
	s->used = true;
	s->own_done = false;
	s->id = id;
	s->last_use = ++t->clock;
	s->flow = flow;
	s->passage = (nc_trace_passage_t){ .reply = reply, .tcp_flags = tcp_flags };
	return s;
}

/* An interned copy of name: borrowed, valid until the object is freed. */
static const char *intern(nc_trace_t *t, const char *name)
{
	char **grown, *copy;

	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < t->n_names; i++)
		if (strcmp(t->names[i], name) == 0)
			return t->names[i];
	if (t->n_names == TRACE_MAX_NAMES)
		return "?";
	copy = malloc(strlen(name) + 1); /* not strdup: the unit tests count every allocation */
	if (copy != NULL)
		memcpy(copy, name, strlen(name) + 1);
	grown = copy == NULL ? NULL : realloc(t->names, (t->n_names + 1) * sizeof(*t->names));
	if (grown == NULL) {
		free(copy);
		return "?";
	}
	t->names = grown;
	t->names[t->n_names++] = copy;
	return copy;
}

/* ---- matching a packet to a flow ------------------------------------------------ */


static bool parse_headers(const unsigned char *nh, size_t nh_len, const unsigned char *th, size_t th_len,
			  packet_key_t *k)
{
	memset(k, 0, sizeof(*k));
	if (nh == NULL || nh_len < 1)
		return false;
	if ((nh[0] >> 4) == 4 && nh_len >= 20) {
		k->family = AF_INET;
		k->proto = nh[9];
		memcpy(k->src, nh + 12, 4);
		memcpy(k->dst, nh + 16, 4);
	} else if ((nh[0] >> 4) == 6 && nh_len >= 40) {
		k->family = AF_INET6;
		k->proto = nh[6]; /* extension headers: the flow's proto will not match, as it should not guess */
		memcpy(k->src, nh + 8, 16);
		memcpy(k->dst, nh + 24, 16);
	} else {
		return false;
	}
	if (th == NULL)
		return true;
	if ((k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP) && th_len >= 4) {
		k->sport = (uint16_t)(th[0] << 8 | th[1]);
		k->dport = (uint16_t)(th[2] << 8 | th[3]);
		k->has_ports = true;
		if (k->proto == IPPROTO_TCP && th_len >= 14)
			k->tcp_flags = th[13];
	} else if ((k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6) && th_len >= 6) {
		/* echo request/reply (8/0, 128/129): both ends carry the identifier */
		if (th[0] == 8 || th[0] == 0 || th[0] == 128 || th[0] == 129) {
			k->sport = k->dport = (uint16_t)(th[4] << 8 | th[5]);
			k->has_ports = true;
		}
	}
	return true;
}

static bool addr_matches(const nc_endpoint_t *want, int family, const unsigned char *addr)
{
	if (want->family == 0)
		return true;
	if (want->family != family)
		return false;
	return family == AF_INET ? memcmp(&want->addr.v4, addr, 4) == 0 : memcmp(&want->addr.v6, addr, 16) == 0;
}

static bool port_matches(uint16_t want, const packet_key_t *k, uint16_t port)
{
	return want == 0 || (k->has_ports && want == port);
}

static int flow_family(const nc_trace_flow_t *f)
{
	return f->src.family != 0 ? f->src.family : f->dst.family;
}

bool witness_flow_matches(const nc_trace_flow_t *f, const packet_key_t *k, bool *ret_reply)
{
	if (flow_family(f) != k->family || (f->proto != 0 && f->proto != k->proto))
		return false;
	if (addr_matches(&f->src, k->family, k->src) && addr_matches(&f->dst, k->family, k->dst) &&
	    port_matches(f->src.port, k, k->sport) && port_matches(f->dst.port, k, k->dport)) {
		*ret_reply = false;
		return true;
	}
	if (addr_matches(&f->src, k->family, k->dst) && addr_matches(&f->dst, k->family, k->src) &&
	    port_matches(f->src.port, k, k->dport) && port_matches(f->dst.port, k, k->sport)) {
		*ret_reply = true;
		return true;
	}
	return false;
}

/* The first flow the packet belongs to; -1 if none. */
static long match_flow(const nc_trace_t *t, const packet_key_t *k, bool *ret_reply)
{
	for (size_t i = 0; i < t->n_flows; i++)
		if (witness_flow_matches(&t->flows[i].flow, k, ret_reply))
			return (long)i;
	return -1;
}

bool witness_nlmsg_ok(const void *nlh, int left)
{
	const struct nlmsghdr *h = nlh;

	return left >= (int)sizeof(*h) && h->nlmsg_len >= sizeof(*h) && h->nlmsg_len <= (uint32_t)left;
}

/* ---- one event -------------------------------------------------------------------- */

#ifdef NC_HAVE_NFTRACE

static void on_event(nc_trace_t *t, const struct nftnl_trace *tr, uint8_t family)
{
	const unsigned char *nh = NULL, *th = NULL;
	uint32_t nh_len = 0, th_len = 0, id;
	const char *table, *chain;
	packet_key_t key;
	bool have_key, reply = false, own;
	trace_slot_t *s;
	nc_trace_step_t *step;
	long flow = -1;

	if (!nftnl_trace_is_set(tr, NFTNL_TRACE_TABLE) || !nftnl_trace_is_set(tr, NFTNL_TRACE_CHAIN) ||
	    !nftnl_trace_is_set(tr, NFTNL_TRACE_ID) || !nftnl_trace_is_set(tr, NFTNL_TRACE_TYPE)) {
		t->stats.malformed++;
		return;
	}
	table = nftnl_trace_get_str(tr, NFTNL_TRACE_TABLE);
	chain = nftnl_trace_get_str(tr, NFTNL_TRACE_CHAIN);
	id = nftnl_trace_get_u32(tr, NFTNL_TRACE_ID);
	if (nftnl_trace_is_set(tr, NFTNL_TRACE_NETWORK_HEADER))
		nh = nftnl_trace_get_data(tr, NFTNL_TRACE_NETWORK_HEADER, &nh_len);
	if (nftnl_trace_is_set(tr, NFTNL_TRACE_TRANSPORT_HEADER))
		th = nftnl_trace_get_data(tr, NFTNL_TRACE_TRANSPORT_HEADER, &th_len);
	have_key = parse_headers(nh, nh_len, th, th_len, &key);
	if (have_key)
		flow = match_flow(t, &key, &reply);
	own = family == NFPROTO_INET && strcmp(table, t->table) == 0;
	/* another run's trace table (runs at once on one host): not a rule of
	 * the user's, and never a verdict (it only traces) */
	if (!own && family == NFPROTO_INET && strncmp(table, NC_TRACE_TABLE_PREFIX, strlen(NC_TRACE_TABLE_PREFIX)) == 0)
		return;
	s = slot_find(t, id);

	if (own) {
		/* The trace table's own chain: a packet of a flow begins here.
		 * Its rule events come first, then the chain's policy; a rule
		 * event after either is the next packet with the same id. */
		uint32_t type = nftnl_trace_get_u32(tr, NFTNL_TRACE_TYPE);

		if (type == NFT_TRACETYPE_POLICY) {
			if (s != NULL)
				s->own_done = true;
		} else if (flow >= 0 && (s == NULL || s->own_done || s->passage.n_steps > 0)) {
			if (s != NULL)
				slot_close(t, s);
			slot_open(t, id, (size_t)flow, reply, key.tcp_flags);
		}
		if (flow >= 0 || s != NULL)
			t->stats.matched++;
		return;
	}
	if (s == NULL) {
		/* traced by a rule not ours (a recording, or another tool's):
		 * the headers say whose packet it is */
		if (flow < 0)
			return;
		s = slot_open(t, id, (size_t)flow, reply, key.tcp_flags);
	}
	t->stats.matched++;
	/* a rule event without a rule: the end of a chain's rules, before its
	 * policy or return event, which says the same with its verdict */
	if (nftnl_trace_get_u32(tr, NFTNL_TRACE_TYPE) == NFT_TRACETYPE_RULE &&
	    !nftnl_trace_is_set(tr, NFTNL_TRACE_RULE_HANDLE))
		return;
	if (s->passage.n_steps == NC_TRACE_MAX_STEPS) {
		s->passage.truncated = true;
		return;
	}
	step = &s->steps[s->passage.n_steps++];
	*step = (nc_trace_step_t){
		.family = family,
		.type = (nc_trace_step_type_t)nftnl_trace_get_u32(tr, NFTNL_TRACE_TYPE),
		.table = intern(t, table),
		.chain = intern(t, chain),
		.handle = nftnl_trace_is_set(tr, NFTNL_TRACE_RULE_HANDLE) ? nftnl_trace_get_u64(tr, NFTNL_TRACE_RULE_HANDLE) : 0,
		.verdict = nftnl_trace_is_set(tr, NFTNL_TRACE_VERDICT) ? (int)nftnl_trace_get_u32(tr, NFTNL_TRACE_VERDICT)
			   : nftnl_trace_is_set(tr, NFTNL_TRACE_POLICY) ? (int)nftnl_trace_get_u32(tr, NFTNL_TRACE_POLICY)
									  : NFT_CONTINUE,
	};
	if (nftnl_trace_is_set(tr, NFTNL_TRACE_JUMP_TARGET) && (step->verdict == NFT_JUMP || step->verdict == NFT_GOTO))
		step->jump_target = intern(t, nftnl_trace_get_str(tr, NFTNL_TRACE_JUMP_TARGET));
}

/* Does attribute a hold a NUL-terminated string (what libnftnl strdup()s)? */
static bool attr_is_string(const struct nlattr *a)
{
	uint16_t len = mnl_attr_get_payload_len(a);

	return len > 0 && memchr(mnl_attr_get_payload(a), '\0', len) != NULL;
}

/* Would libnftnl's trace parser take nlh without harm?  It exit()s the
 * process ("kernel ABI is broken") on an attribute it knows with another
 * length than its type's (libmnl wants it exact), on a missing id, type or verdict code, on a jump
 * without its chain, and strdup()s strings that may not end inside their
 * attribute.  The kernel sends none of that; a message that would is not
 * handed over.  Types by the kernel's numbering, including the conntrack
 * ones newer libnftnl checks (18 id, 19 direction, 20 status, 21 state). */
static bool trace_msg_sane(const struct nlmsghdr *nlh)
{
	const struct nlattr *a, *v;
	bool have_id = false, have_type = false;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		uint16_t len = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case NFTA_TRACE_TABLE:
		case NFTA_TRACE_CHAIN:
			if (!attr_is_string(a))
				return false;
			break;
		case NFTA_TRACE_RULE_HANDLE:
			if (len != 8)
				return false;
			break;
		case NFTA_TRACE_TYPE:
		case NFTA_TRACE_ID:
			have_type |= mnl_attr_get_type(a) == NFTA_TRACE_TYPE;
			have_id |= mnl_attr_get_type(a) == NFTA_TRACE_ID;
			/* fall through */
		case NFTA_TRACE_IIF:
		case NFTA_TRACE_OIF:
		case NFTA_TRACE_MARK:
		case NFTA_TRACE_NFPROTO:
		case NFTA_TRACE_POLICY:
		case 18: case 20: case 21:
			if (len != 4)
				return false;
			break;
		case NFTA_TRACE_IIFTYPE:
		case NFTA_TRACE_OIFTYPE:
			if (len != 2)
				return false;
			break;
		case NFTA_TRACE_LL_HEADER:
		case NFTA_TRACE_NETWORK_HEADER:
		case NFTA_TRACE_TRANSPORT_HEADER:
			if (len < 1)
				return false;
			break;
		case 19:
			if (len != 1)
				return false;
			break;
		case NFTA_TRACE_VERDICT: {
			const struct nlattr *code = NULL, *chain = NULL;

			if (len > 0 && len < MNL_ATTR_HDRLEN)
				return false;
			mnl_attr_for_each_nested(v, a) {
				if (mnl_attr_get_type(v) == NFTA_VERDICT_CODE)
					code = v;
				else if (mnl_attr_get_type(v) == NFTA_VERDICT_CHAIN)
					chain = v;
			}
			if (code == NULL || mnl_attr_get_payload_len(code) != 4 || (chain != NULL && !attr_is_string(chain)))
				return false;
			if (((int)ntohl(mnl_attr_get_u32(code)) == NFT_JUMP || (int)ntohl(mnl_attr_get_u32(code)) == NFT_GOTO) &&
			    chain == NULL)
				return false;
			break;
		}
		default:
			break;
		}
	}
	return have_id && have_type;
}

int nc_witness_trace_feed(nc_trace_t *t, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int left = len > (size_t)INT32_MAX ? INT32_MAX : (int)len;

	while (witness_nlmsg_ok(nlh, left)) {
		if (nlh->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_TRACE)) {
			struct nftnl_trace *tr = nftnl_trace_alloc();
			const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);

			t->stats.events++;
			if (tr == NULL)
				return -ENOMEM;
			if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*g) || !trace_msg_sane(nlh) ||
			    nftnl_trace_nlmsg_parse(nlh, tr) < 0)
				t->stats.malformed++;
			else
				on_event(t, tr, g->nfgen_family);
			nftnl_trace_free(tr);
		}
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return left == 0 ? 0 : -EINVAL;
}

#else

int nc_witness_trace_feed(nc_trace_t *t, const void *buf, size_t len)
{
	(void)t;
	(void)buf;
	(void)len;
	(void)match_flow;
	(void)intern;
	(void)slot_find;
	(void)slot_open;
	(void)parse_headers;
	return -EOPNOTSUPP;
}

#endif
