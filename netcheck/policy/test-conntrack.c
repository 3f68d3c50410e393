/* Unit tests for what the policy makes of a path's conntrack entry
 * (diagnose-conntrack.c), from recorded facts: the entries are the ones
 * tests/fixtures/conntrack-dump.bin holds (a TCP connection to
 * 198.18.0.1:8080, DNAT to 198.18.0.2:7004, SNAT to 198.18.0.3; read by
 * netcheck/witness/test-witness-conntrack.c) and the published-host entry
 * of a real `netcheck run` (Docker 20.10: 172.17.0.1 > 172.17.0.1:P, DNAT
 * to the container's 172.17.0.2:80, no SNAT). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "helpers.h"
#include "netcheck/policy.h"
#include "netcheck/result.h"

static nc_path_t *path(nc_result_t *r, nc_path_kind_t kind, nc_verdict_t verdict, const char *local,
		       uint16_t local_port, const char *target, uint16_t port)
{
	char q[16];
	nc_path_t *p;

	snprintf(q, sizeof(q), "%zu", nc_result_path_count(r));
	assert_int_equal(nc_result_add_path_named(r, kind, q, NULL, &p), 0);
	p->verdict = verdict;
	p->sent = true;
	p->container_port = 80;
	p->local = ep(local, local_port);
	p->target = ep(target, port);
	return p;
}

/* What the kernel's entry holds, as run copies it into the path. */
static void entry(nc_path_t *p, const char *reply_src, uint16_t reply_port, const char *reply_dst, bool seen_reply,
		  const char *state)
{
	nc_path_conntrack_t *ct = &p->conntrack;

	memset(ct, 0, sizeof(*ct));
	ct->looked = ct->found = true;
	ct->proto = IPPROTO_TCP;
	ct->orig_src = p->local;
	ct->orig_dst = p->target;
	ct->reply_src = ep(reply_src, reply_port);
	ct->reply_dst = ep(reply_dst, p->local.port);
	ct->dnat = !nc_endpoint_equal(&ct->reply_src, &ct->orig_dst);
	ct->snat = !nc_endpoint_addr_equal(&ct->reply_dst, &ct->orig_src);
	ct->seen_reply = ct->assured = seen_reply;
	snprintf(ct->state, sizeof(ct->state), "%s", state);
	ct->timeout = 120;
}

/* The diagnosis's first observation from source; NULL none. */
static const nc_observation_t *cited_from(const nc_path_t *p, nc_obs_source_t source)
{
	for (size_t i = 0; i < p->diagnosis.n_observed; i++)
		if (p->diagnosis.observed[i].source == source)
			return &p->diagnosis.observed[i];
	return NULL;
}

static const nc_observation_t *cited(const nc_path_t *p)
{
	return cited_from(p, NC_OBS_CONNTRACK);
}

/* Whether o's text says what (o may be NULL: it does not). */
static bool says(const nc_observation_t *o, const char *what)
{
	return o != NULL && strstr(o->text, what) != NULL;
}

/* The recorded entry: a SNAT of a remote client's address is
 * source-address-lost, from the kernel's reply tuple alone (a user's
 * container: no responder to say what peer it saw). */
static void test_snat_of_remote_client(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_path_t *p = path(r, NC_PATH_PUBLISHED_REMOTE, NC_VERDICT_REACHABLE, "198.18.0.1", 40512, "198.18.0.1",
			    8080);
	const nc_observation_t *o;

	(void)state;
	p->mechanism = NC_MECH_NAT;
	entry(p, "198.18.0.2", 7004, "198.18.0.3", true, "TIME_WAIT");
	nc_classify_diagnose(p, NULL, NULL);
	assert_int_equal(p->diagnosis.code, NC_DIAG_SOURCE_ADDRESS_LOST);
	assert_non_null(strstr(p->diagnosis.detail, "198.18.0.3"));
	assert_non_null(strstr(p->diagnosis.detail, "SNAT"));
	o = cited(p);
	assert_non_null(o);
	assert_true(o->conntrack.snat);
	assert_true(says(o, "DNAT to 198.18.0.2:7004"));
	assert_true(says(o, "source rewritten to 198.18.0.3"));
	assert_string_equal(o->state, "TIME_WAIT");

	/* the same SNAT of a loopback client is by design (docker-proxy or
	 * the hairpin masquerade): nothing to say */
	p = path(r, NC_PATH_PUBLISHED_LOOPBACK, NC_VERDICT_REACHABLE, "127.0.0.1", 40514, "127.0.0.1", 8080);
	p->mechanism = NC_MECH_NAT;
	entry(p, "172.17.0.2", 80, "172.17.0.1", true, "TIME_WAIT");
	nc_classify_diagnose(p, NULL, NULL);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NONE);
	nc_result_free(r);
}

/* published-host as a real run records it: DNAT, the client's address
 * kept: no diagnosis; the responder's peer agreeing changes nothing. */
static void test_dnat_keeps_source(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_path_t *p = path(r, NC_PATH_PUBLISHED_HOST, NC_VERDICT_REACHABLE, "172.17.0.1", 51000, "172.17.0.1",
			    18991);

	(void)state;
	p->mechanism = NC_MECH_NAT;
	p->peer_seen = p->local;
	entry(p, "172.17.0.2", 80, "172.17.0.1", true, "TIME_WAIT");
	assert_true(p->conntrack.dnat);
	assert_false(p->conntrack.snat);
	nc_classify_diagnose(p, NULL, NULL);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NONE);
	/* the responder saw another peer: a masquerade; the entry is cited beside it */
	p->peer_seen = ep("172.17.0.1", 51000);
	p->local = p->conntrack.orig_src = ep("192.0.2.5", 51000);
	p->conntrack.reply_dst = ep("172.17.0.1", 51000);
	nc_classify_diagnose(p, NULL, NULL);
	assert_int_equal(p->diagnosis.code, NC_DIAG_SOURCE_ADDRESS_LOST);
	assert_non_null(cited(p));
	nc_result_free(r);
}

/* The engine's list of a host port's publishers, as run copies it (the
 * shape of tests/integration/other-container-answered.sh: one container on
 * 127.0.0.1:P only, another on the host's address at the same P). */
static void other(nc_other_container_t *o, const char *id, const char *name, const char *address,
		  const char *host_ip, uint16_t host_port)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->id, sizeof(o->id), "%s", id);
	snprintf(o->name, sizeof(o->name), "%s", name);
	o->addresses[o->n_addresses++] = ep(address, 0);
	o->bindings[0] = (nc_publish_binding_t){ .container_port = 80, .proto = NC_PROTO_TCP, .host_port = host_port };
	snprintf(o->bindings[0].host_ip, sizeof(o->bindings[0].host_ip), "%s", host_ip);
	o->n_bindings = 1;
}

/* A remote client of a port published on 127.0.0.1 only reached another
 * container published on the host's address at the same port number: the
 * diagnosis names that container, from the conntrack entry's DNAT and the
 * engine's bindings; without the entry, from the bindings alone; never
 * for a DNAT to the target's own address, nor with nothing listed. */
static void test_other_container_answered(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_path_t *p = path(r, NC_PATH_PUBLISHED_REMOTE, NC_VERDICT_REACHABLE, "198.18.7.2", 41000, "192.0.2.2",
			    38111);
	const nc_endpoint_t own[] = { ep("172.17.0.3", 0) };
	nc_other_container_t others[2];
	nc_diag_facts_t f = { .others = others, .n_others = 2 };
	const nc_observation_t *o;

	(void)state;
	p->loopback_published = true;
	entry(p, "172.17.0.4", 80, "198.18.7.2", true, "TIME_WAIT");
	other(&others[0], "9f1c2b3a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80", "unrelated", "172.17.0.9",
	      "0.0.0.0", 38112);
	other(&others[1], "4b1d0c0ffee0123456789abcdef0123456789abcdef0123456789abcdef01234", "nctest-web-address",
	      "172.17.0.4", "192.0.2.2", 38111);
	/* run asks the engine only when the answer is in question */
	assert_true(nc_classify_answer_in_question(p, own, 1));
	assert_false(nc_classify_answer_in_question(p, &others[1].addresses[0], 1)); /* the DNAT went to its own */

	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_OTHER_CONTAINER_ANSWERED);
	assert_string_equal(nc_diag_code_name(p->diagnosis.code), "other-container-answered");
	assert_non_null(strstr(p->diagnosis.detail, "reached container nctest-web-address (4b1d0c0ffee0), not this one"));
	assert_non_null(strstr(p->diagnosis.detail, "DNAT sent it to 172.17.0.4:80, that container's address; the engine "
						"publishes 192.0.2.2:38111 for it; this one publishes the port on 127.0.0.1 only"));
	assert_non_null(strstr(p->diagnosis.detail, "127.0.0.1 only"));
	assert_non_null(strstr(p->diagnosis.hint, "different host ports"));
	assert_true(says(cited(p), "DNAT to 172.17.0.4:80"));
	o = cited_from(p, NC_OBS_ENGINE);
	assert_true(o != NULL && strstr(o->text, "container nctest-web-address (4b1d0c0ffee0) at 172.17.0.4, "
						  "publishing 192.0.2.2:38111 to its port 80/tcp") != NULL);
	/* as expected or not, the answer is the finding: not as expected, said why */
	nc_expect_evaluate(r);
	assert_false(p->expected);
	assert_int_equal(p->unexpected, NC_UNEXPECTED_WARNING);
	assert_string_equal(p->unexpected_reason, "another container answered");

	/* no conntrack entry (no privilege): the engine's bindings of the
	 * dialled address name it, for a port the target serves on loopback only */
	memset(&p->conntrack, 0, sizeof(p->conntrack));
	assert_true(nc_classify_answer_in_question(p, own, 1));
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_OTHER_CONTAINER_ANSWERED);
	assert_non_null(strstr(p->diagnosis.detail, "the engine publishes 192.0.2.2:38111 for it"));
	assert_null(cited(p));
	/* ... but not a path the target does serve there */
	p->loopback_published = false;
	assert_false(nc_classify_answer_in_question(p, own, 1));
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NONE);

	/* the DNAT went to the target's own address: nothing to say */
	p->loopback_published = true;
	entry(p, "172.17.0.3", 80, "198.18.7.2", true, "TIME_WAIT");
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NONE);
	/* the others not listed: no name to give */
	entry(p, "172.17.0.4", 80, "198.18.7.2", true, "TIME_WAIT");
	f.others = NULL;
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NONE);
	nc_result_free(r);
}

/* A failed published path: DNAT made, no reply back -- the entry is cited
 * with the translated address, where the packets went and stopped. */
static void test_dnat_without_reply_cited(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_path_t *p = path(r, NC_PATH_PUBLISHED_REMOTE, NC_VERDICT_TIMEOUT, "198.18.0.2", 40600, "198.18.0.1", 8080);
	const nc_observation_t *o;

	(void)state;
	p->timings.connect_ms = -1;
	entry(p, "172.17.0.2", 80, "198.18.0.2", false, "SYN_SENT");
	nc_classify_diagnose(p, NULL, NULL);
	/* nothing else was observed: unexplained, and it says it looked */
	assert_int_equal(p->diagnosis.code, NC_DIAG_UNEXPLAINED);
	assert_non_null(strstr(p->diagnosis.detail, "conntrack entry"));
	o = cited(p);
	assert_non_null(o);
	assert_true(says(o, "DNAT to 172.17.0.2:80"));
	assert_true(says(o, "no reply came back from the translated address"));
	assert_true(says(o, "SYN_SENT"));
	assert_true(o->conntrack.dnat);
	assert_false(o->conntrack.seen_reply);
	nc_result_free(r);
}

/* Looked up and not there: the first packet never left netfilter. */
static void test_no_entry_cited(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_path_t *p = path(r, NC_PATH_PUBLISHED_HOST, NC_VERDICT_TIMEOUT, "192.0.2.5", 40700, "192.0.2.5", 8080);
	const nc_observation_t *o;

	(void)state;
	p->timings.connect_ms = -1;
	p->conntrack.looked = true;
	p->conntrack.proto = IPPROTO_TCP;
	p->conntrack.orig_src = p->local;
	p->conntrack.orig_dst = p->target;
	nc_classify_diagnose(p, NULL, NULL);
	o = cited(p);
	assert_non_null(o);
	assert_true(says(o, "tracks no tcp connection 192.0.2.5:40700 > 192.0.2.5:8080"));
	assert_false(o->conntrack.found);
	/* not looked up at all: nothing cited */
	memset(&p->conntrack, 0, sizeof(p->conntrack));
	nc_classify_diagnose(p, NULL, NULL);
	assert_null(cited(p));
	nc_result_free(r);
}

/* A refused datagram: who sent the ICMP, against the path's addresses and
 * its conntrack entry (the senders as diagnose-state.sh's UDP-only
 * container gave them: its own address on direct-udp, the published
 * address through Docker's NAT). */
static void test_udp_refused_by(void **state)
{
	nc_result_t *r = nc_result_new();
	nc_path_t *p = path(r, NC_PATH_DIRECT_UDP, NC_VERDICT_REFUSED, "172.17.0.1", 40800, "172.17.0.7", 53);
	nc_diag_facts_t f;

	(void)state;
	memset(&f, 0, sizeof(f));
	p->container_port = 53;
	p->refused_by = ep("172.17.0.7", 0);
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NOT_LISTENING);
	assert_non_null(strstr(p->diagnosis.detail, "the container's kernel refused"));
	assert_int_equal(p->diagnosis.observed[0].source, NC_OBS_SOCKET);
	assert_true(nc_endpoint_equal(&p->diagnosis.observed[0].local, &p->refused_by));

	/* through Docker's NAT: the ICMP comes from the published address */
	p = path(r, NC_PATH_PUBLISHED_HOST_UDP, NC_VERDICT_REFUSED, "192.0.2.5", 40801, "192.0.2.5", 32768);
	p->container_port = 53;
	entry(p, "172.17.0.7", 53, "192.0.2.5", true, "");
	p->conntrack.proto = IPPROTO_UDP;
	p->refused_by = ep("192.0.2.5", 0);
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NOT_LISTENING);
	assert_non_null(strstr(p->diagnosis.detail, "through Docker's NAT"));
	assert_non_null(strstr(p->diagnosis.detail, "172.17.0.7:53"));
	assert_non_null(cited(p));

	/* the same address without a DNAT: this host refused, nothing forwards the port */
	memset(&p->conntrack, 0, sizeof(p->conntrack));
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_NO_FORWARDER);
	assert_non_null(strstr(p->diagnosis.detail, "this host refused"));

	/* a third address: something on the way */
	p->refused_by = ep("198.51.100.1", 0);
	nc_classify_diagnose(p, NULL, &f);
	assert_int_equal(p->diagnosis.code, NC_DIAG_REJECTED);
	assert_non_null(strstr(p->diagnosis.detail, "198.51.100.1 refused"));

	/* no sender known (no error queue): not this rule's to say */
	p->refused_by = (nc_endpoint_t){ 0 };
	nc_classify_diagnose(p, NULL, &f);
	assert_int_not_equal(p->diagnosis.code, NC_DIAG_NO_FORWARDER);
	assert_int_not_equal(p->diagnosis.code, NC_DIAG_NOT_LISTENING);
	nc_result_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snat_of_remote_client),
		cmocka_unit_test(test_dnat_keeps_source),
		cmocka_unit_test(test_dnat_without_reply_cited),
		cmocka_unit_test(test_no_entry_cited),
		cmocka_unit_test(test_udp_refused_by),
		cmocka_unit_test(test_other_container_answered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
