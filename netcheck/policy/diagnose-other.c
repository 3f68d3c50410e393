/* Who answered a reachable published path when it was not the target:
 * another container that publishes the same host port on the address
 * dialled.  The engine allocates host ports per address, so a container
 * published on 127.0.0.1:P only and another on this host's address at P
 * coexist, and a remote client of the first (published-remote, expected to
 * fail) reaches the second.  Decided from the path's conntrack entry (where
 * the kernel's DNAT sent the connection: that container's address) and the
 * engine's list of the containers publishing that host port
 * (nc_diag_facts_t.others); without an entry, from the engine's bindings
 * alone, and only for a path the target does not serve at all (published
 * on loopback only).  Pure: reads the model, writes the path's diagnosis.
 * Called by diagnose.c; nc_classify_answer_in_question() by run, to know
 * whether to list the others. */
#include "netcheck/policy.h"
#include "diagnose-internal.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Published through this host's own NAT: a swarm's routing mesh is not the
 * engine's per-address allocation. */
static bool host_published(const nc_path_t *p)
{
	return nc_path_kind_is_published(p->kind) && p->kind != NC_PATH_PUBLISHED_NODE &&
	       p->kind != NC_PATH_PUBLISHED_INGRESS && p->target.port != 0 && nc_path_kind_proto(p->kind) != NC_PROTO_ICMP;
}

static bool among(const nc_endpoint_t *a, const nc_endpoint_t *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (nc_endpoint_addr_equal(a, &list[i]))
			return true;
	return false;
}

bool nc_classify_answer_in_question(const nc_path_t *p, const nc_endpoint_t *own, size_t n_own)
{
	const nc_path_conntrack_t *ct = &p->conntrack;

	if (p->verdict != NC_VERDICT_REACHABLE || !host_published(p))
		return false;
	if (ct->found && ct->dnat)
		return !among(&ct->reply_src, own, n_own);
	return nc_path_kind_is_remote(p->kind) && p->loopback_published;
}

static bool binding_serves(const nc_publish_binding_t *b, const nc_path_t *p)
{
	char target[NC_ENDPOINT_STRLEN];

	if (b->proto != nc_path_kind_proto(p->kind) || b->host_port != p->target.port ||
	    nc_endpoint_format(&p->target, false, target, sizeof(target)) < 0)
		return false;
	if (strcmp(b->host_ip, target) == 0 || b->host_ip[0] == '\0')
		return true;
	return strcmp(b->host_ip, p->target.family == AF_INET6 ? "::" : "0.0.0.0") == 0;
}

/* The other container's binding of the dialled address and port; NULL none. */
static const nc_publish_binding_t *binding_of(const nc_other_container_t *o, const nc_path_t *p)
{
	for (size_t i = 0; i < o->n_bindings && i < NC_OTHER_BINDINGS_MAX; i++)
		if (binding_serves(&o->bindings[i], p))
			return &o->bindings[i];
	return NULL;
}

/* Who answered: the container holding the address the kernel's DNAT chose;
 * without a DNAT seen, the one the engine publishes the dialled address and
 * port for (a path the target does not serve there). */
static const nc_other_container_t *answerer(const nc_path_t *p, const nc_diag_facts_t *f, bool *ret_by_dnat)
{
	const nc_path_conntrack_t *ct = &p->conntrack;

	*ret_by_dnat = ct->found && ct->dnat;
	for (size_t i = 0; i < f->n_others; i++) {
		const nc_other_container_t *o = &f->others[i];

		if (*ret_by_dnat ? among(&ct->reply_src, o->addresses, o->n_addresses < NC_OTHER_ADDRS_MAX
										  ? o->n_addresses
										  : NC_OTHER_ADDRS_MAX)
				 : nc_path_kind_is_remote(p->kind) && p->loopback_published && binding_of(o, p) != NULL)
			return o;
	}
	return NULL;
}

static void observe_other(nc_diagnosis_t *d, const nc_path_t *p, const nc_other_container_t *o,
			  const nc_publish_binding_t *b)
{
	char addrs[4 * NC_ENDPOINT_STRLEN] = "", bound[NC_ENDPOINT_STRLEN + 80] = "";
	size_t n = 0;
	nc_observation_t *obs;

	for (size_t i = 0; i < o->n_addresses && i < NC_OTHER_ADDRS_MAX && n + 1 < sizeof(addrs); i++) {
		char a[NC_ENDPOINT_STRLEN];

		if (nc_endpoint_format(&o->addresses[i], false, a, sizeof(a)) == 0)
			n += (size_t)snprintf(addrs + n, sizeof(addrs) - n, "%s%s", n ? ", " : "", a);
	}
	if (b != NULL)
		snprintf(bound, sizeof(bound), ", publishing %s%s%s:%u to its port %u/%s", strchr(b->host_ip, ':') ? "[" : "",
			 b->host_ip[0] ? b->host_ip : "0.0.0.0", strchr(b->host_ip, ':') ? "]" : "", b->host_port,
			 b->container_port, nc_diagnose_proto_word(b->proto));
	obs = nc_diagnosis_observe(d, NC_OBS_ENGINE, "the engine lists container %.64s (%.12s) at %s%s", o->name, o->id,
				   n ? addrs : "no address", bound);
	if (obs != NULL && b != NULL) {
		obs->proto = b->proto;
		obs->local = p->target;
	}
}

bool nc_diagnose_other_container(nc_path_t *p, const nc_diag_facts_t *f)
{
	const nc_path_conntrack_t *ct = &p->conntrack;
	const nc_other_container_t *o;
	const nc_publish_binding_t *b;
	char target[NC_ENDPOINT_STRLEN], to[NC_ENDPOINT_STRLEN], how[NC_DIAG_DETAIL_MAX];
	bool by_dnat;

	if (f == NULL || f->others == NULL || p->verdict != NC_VERDICT_REACHABLE || !host_published(p) ||
	    (o = answerer(p, f, &by_dnat)) == NULL)
		return false;
	b = binding_of(o, p);
	nc_endpoint_format(&p->target, true, target, sizeof(target));
	nc_endpoint_format(&ct->reply_src, true, to, sizeof(to));
	if (by_dnat)
		snprintf(how, sizeof(how), "the kernel's DNAT sent it to %s, that container's address%s%s%s", to,
			 b != NULL ? "; the engine publishes " : "", b != NULL ? target : "",
			 b != NULL ? " for it" : "");
	else
		snprintf(how, sizeof(how), "the engine publishes %s for it", target);
	nc_path_diagnose(p, NC_DIAG_OTHER_CONTAINER_ANSWERED,
			 "give the two containers different host ports: the engine allocates a host port per address, "
			 "so -p 127.0.0.1:P:C does not keep P free on the host's other addresses",
			 "the connection to %s reached container %.64s (%.12s), not this one: %.300s%s", target, o->name,
			 o->id, how, p->loopback_published ? "; this one publishes the port on 127.0.0.1 only" : "");
	if (ct->found)
		nc_diagnose_observe_conntrack(&p->diagnosis, p);
	observe_other(&p->diagnosis, p, o, b);
	if (f->bindings != NULL)
		nc_diagnose_observe_bindings(&p->diagnosis, p, f);
	return true;
}
