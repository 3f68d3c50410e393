/* The container targets' remote client (target-launched.c, target-named.c,
 * target-project.c):
 * netcheck's remote-client namespace (198.18.0.0/15, made on a thread of
 * its own while the engine starts or inspects the container, held by an
 * fd so that it goes with the run), from which a published port is reached
 * as another machine reaches it -- through PREROUTING and FORWARD, where
 * DOCKER-USER's rules meet it, never through lo.  The firewall's answers
 * for its packets (read while privileged, before the probes), its capture
 * point, and its paths: the launched target's published-remote; the named
 * and project targets' published-remote and published-remote-udp, one per
 * probed port at the address the port is published on.
 * May call: platform, probe, classify, result, and target-container.c /
 * run-paths.c / run-common.c below it.  Never prints. */
#include "target-container.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

static bool remote_selected(const run_state_t *s, bool udp)
{
	const nc_selection_t *sel = nc_result_selection_const(s->result);

	return nc_path_selected(sel, NC_PATH_PUBLISHED_REMOTE, "published-remote") ||
	       (udp && nc_path_selected(sel, NC_PATH_PUBLISHED_REMOTE_UDP, "published-remote-udp"));
}

/* A client in another namespace, for the remote paths: only where the
 * container's bridge is on this host (else the paths are skipped, with the
 * reason). */
static void make_remote(run_state_t *s, nc_remote_client_t *rc)
{
	nc_error_t rerr = { "" };
	nc_env_kind_t kind = nc_run_engine_kind(&s->version, &s->engine_info);

	if (!remote_selected(s, rc->with_udp))
		return; /* --paths/--skip left the paths out: no namespace, capture point or ruleset read for them */
	if (!nc_classify_engine_is_local(kind)) {
		snprintf(rc->note, sizeof(rc->note),
			 "not sent: the %s engine's published ports are not this host's kernel NAT", nc_env_kind_name(kind));
		return;
	}
	if (nc_platform_remote_create(nc_result_container(s->result)->run_id, &rc->ns, &rerr) < 0) {
		rc->ns.netns_name[0] = '\0';
		snprintf(rc->note, sizeof(rc->note), "not sent: no remote-client namespace: %.200s",
			 rerr.text);
		return;
	}
	/* held by our fd, not by a name: gone when netcheck ends, however */
	if (nc_platform_remote_hold(&rc->ns) < 0) {
		nc_platform_remote_destroy(&rc->ns);
		snprintf(rc->note, sizeof(rc->note), "not sent: the remote-client namespace could not be held");
	}
}

static void remote_main(void *arg)
{
	nc_remote_client_t *rc = arg;

	make_remote(rc->run, rc);
}

/* The namespace needs nothing of the container: it is made on a thread of
 * its own while the engine creates and starts the container (~3 ms of
 * netlink that the run then does not wait for). */
void nc_remote_begin(run_state_t *s, nc_remote_client_t *rc)
{
	rc->run = s;
	rc->pending = uv_thread_create(&rc->thread, remote_main, rc) == 0;
	if (!rc->pending)
		make_remote(s, rc);
}

void nc_remote_join(nc_remote_client_t *rc)
{
	if (rc->pending)
		(void)uv_thread_join(&rc->thread);
	rc->pending = false;
}

/* One remote path of kind (published-remote or -udp) to container port
 * port at target (port 0: not published), its probe from a socket made in
 * the namespace, or not sent with the reason.  Returns the path (borrowed),
 * or NULL when none was added (not selected, the table full). */
static nc_path_t *add_remote(run_state_t *s, const nc_remote_client_t *rc, const nc_container_target_t *ct,
			     nc_path_kind_t kind, uint16_t port, const nc_endpoint_t *target, uint64_t timeout)
{
	bool udp = kind == NC_PATH_PUBLISHED_REMOTE_UDP;
	nc_path_t *p = nc_ct_add_path(s, ct, kind, NULL, port, target);
	size_t index;
	int fd, r;

	if (p == NULL)
		return NULL;
	if (rc->ns.netns_name[0] == '\0' || target->port == 0) {
		nc_classify_not_sent(p, NC_NOT_SENT_NO_CLIENT, "%s",
				     rc->note[0] ? rc->note : "not sent: no remote-client namespace");
		return p;
	}
	r = nc_platform_remote_connect_fd(&rc->ns, udp ? SOCK_DGRAM : SOCK_STREAM, &fd);
	if (r < 0) {
		nc_run_add_probe(s, p, r, NULL);
		return p;
	}
	/* the witness traces this client, not published-host's (the same destination) */
	index = (size_t)(p - nc_result_path(s->result, 0));
	if (index < NC_MAX_PATHS)
		s->witness_src[index] = rc->ns.client_address;
	if (udp)
		nc_run_add_udp_from(s, p, timeout, fd);
	else
		nc_run_add_tcp_from(s, p, timeout, fd);
	return p;
}

/* What a client on another machine sees: from netcheck's own namespace
 * to the host's primary address and the published port, through
 * PREROUTING and FORWARD like a remote client. */
void nc_remote_add_path(run_state_t *s, nc_remote_client_t *rc, nc_container_target_t *ct, uint64_t timeout)
{
	nc_endpoint_t target = rc->ns.host_address;

	target.port = nc_result_container(s->result)->published_port;
	(void)add_remote(s, rc, ct, NC_PATH_PUBLISHED_REMOTE, ct->port, &target, timeout);
}

/* One container port over one protocol, as a remote client meets it: a
 * binding on every IPv4 address at the host's address, one on a specific
 * IPv4 address of this host at that address, one on loopback only at the
 * host's address too -- where nothing is meant to answer (the path says it
 * is expected to fail).  The remote client speaks IPv4 only: a binding on
 * [::] or an IPv6 address alone gives no remote path. */
static void add_port(run_state_t *s, const nc_remote_client_t *rc, const nc_container_target_t *ct, bool udp,
		     uint16_t port, uint64_t timeout)
{
	nc_engine_proto_t proto = udp ? NC_ENGINE_UDP : NC_ENGINE_TCP;
	nc_path_kind_t kind = udp ? NC_PATH_PUBLISHED_REMOTE_UDP : NC_PATH_PUBLISHED_REMOTE;
	const nc_container_port_t *every = NULL, *specific = NULL, *loopback = NULL, *b;
	nc_endpoint_t target = rc->ns.host_address;
	nc_route_t rt;
	nc_path_t *p;

	for (size_t i = 0; i < ct->info.n_ports; i++) {
		b = &ct->info.ports[i];
		if (b->proto != proto || b->container_port != port || b->host_port == 0)
			continue;
		if (nc_ct_host_ip_any4(b->host_ip) && every == NULL)
			every = b;
		else if (nc_ct_host_ip_loopback(b->host_ip) && loopback == NULL)
			loopback = b;
		else if (nc_ct_host_ip_specific(b->host_ip) && strchr(b->host_ip, ':') == NULL && specific == NULL)
			specific = b;
	}
	b = every != NULL ? every : specific != NULL ? specific : loopback;
	if (b == NULL)
		return; /* not published over IPv4 (published-host says so) */
	/* a specific address: probed there, and only where it is one of this
	 * host's -- the client's packets never leave the host */
	if (b == specific && (nc_endpoint_parse(b->host_ip, b->host_port, &target) < 0 ||
			      nc_platform_route_get(&target, &rt) < 0 || rt.kind != NC_ROUTE_LOCAL)) {
		p = nc_ct_add_path(s, ct, kind, NULL, port, &target);
		if (p != NULL)
			nc_classify_not_sent(p, NC_NOT_SENT_NO_CLIENT,
					     "not sent: container port %u/%s is published on %.64s, which is not one of "
					     "this host's addresses", port, udp ? "udp" : "tcp", b->host_ip);
		return;
	}
	target.port = b->host_port;
	p = add_remote(s, rc, ct, kind, port, &target, timeout);
	if (p != NULL && b == loopback)
		p->loopback_published = true;
}

bool nc_remote_wanted(const nc_container_target_t *ct)
{
	return !ct->exited && !ct->info.restarting && !nc_ct_network_mode(ct, "none") &&
	       !nc_ct_network_mode(ct, "host") && ct->n_ports + ct->n_udp_ports > 0;
}

void nc_remote_plan_paths(run_state_t *s, const nc_remote_client_t *rc, const nc_container_target_t *ct,
			  uint64_t timeout)
{
	if (!nc_remote_wanted(ct))
		return;
	for (size_t i = 0; i < ct->n_ports; i++)
		add_port(s, rc, ct, false, ct->ports[i], timeout);
	for (size_t i = 0; i < ct->n_udp_ports; i++)
		add_port(s, rc, ct, true, ct->udp_ports[i], timeout);
}

/* The host's end of the remote client's veth: where its packets come in. */
void nc_remote_plan_capture(const nc_remote_client_t *rc, nc_run_capture_plan_t *plan)
{
	char descr[128];

	if (rc->ns.netns_name[0] == '\0')
		return;
	snprintf(descr, sizeof(descr), "host side of netcheck's remote-client namespace %s", rc->ns.netns_name);
	nc_run_plan_point(plan, NC_POINT_REMOTE_HOST_SIDE, rc->ns.host_ifname, descr, 0);
}

/* The firewall ruleset, for published-remote's diagnosis: read only in runs
 * that probe it, before the probes and before the witness adds its trace
 * table (a ruleset changing under libnftables' listing can come out cut
 * short), and asked the two questions at once so that nothing of the
 * ruleset outlives the read.  A ruleset that cannot be read is not an
 * error: the diagnosis says so.
 *
 * The read runs on a thread of its own, begun as soon as the container is
 * up, which keeps CAP_NET_ADMIN and nothing else and owns what it reads
 * (struct fw_read): the run waits for it (bounded) before the probes, and a
 * signal ends the wait at once -- the read cannot be cut short (a ruleset
 * of 40000 rules takes seconds), so it is left to finish on its own, or to
 * end with the process. */
struct fw_read {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done, abandoned;         /* under lock */
	nc_platform_fw_packet_t input, forward;
	nc_diag_firewall_t result;    /* the thread's until done */
};

static void fw_read_free(struct fw_read *j)
{
	pthread_cond_destroy(&j->cond);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

static void *fw_read_main(void *arg)
{
	struct fw_read *j = arg;
	nc_diag_firewall_t *f = &j->result;
	nc_platform_firewall_t *fw = NULL;
	nc_error_t ferr = { "" };
	uint64_t start = uv_hrtime();
	bool abandoned;
	int r;

	(void)nc_platform_drop_privileges(NC_PLATFORM_KEEP_NET_ADMIN); /* all a listing needs */
	f->status = nc_platform_firewall_read(&fw, &ferr);
	if (f->status == 0) {
		f->legacy_tables = nc_platform_firewall_legacy_tables(fw);
		r = nc_platform_firewall_drops(fw, NC_PLATFORM_HOOK_INPUT, &j->input, &f->input);
		f->input_drop = r == 1;
		if (r >= 0) {
			r = nc_platform_firewall_drops(fw, NC_PLATFORM_HOOK_FORWARD, &j->forward, &f->forward);
			f->forward_drop = r == 1;
		}
		if (r < 0) {
			f->status = r;
			snprintf(ferr.text, sizeof(ferr.text), "walking its chains: %s", nc_strerror(r));
		}
	}
	snprintf(f->error, sizeof(f->error), "%s", ferr.text);
	nc_platform_firewall_free(fw);
	f->read_ms = (double)(uv_hrtime() - start) / 1e6;
	pthread_mutex_lock(&j->lock);
	j->done = true;
	abandoned = j->abandoned;
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
	if (abandoned)
		fw_read_free(j);
	return NULL;
}

void nc_remote_read_firewall_begin(run_state_t *s, nc_remote_client_t *rc, const nc_container_target_t *ct)
{
	const nc_container_t *c = nc_result_container(s->result);
	struct fw_read *j;
	pthread_t thread;

	/* interrupted: no new read (it cannot be cut short, and the cycle
	 * ends anyway) */
	if (rc->fw != NULL || nc_run_interrupted(s) || rc->ns.netns_name[0] == '\0' || c->published_port == 0 ||
	    c->ip.family != AF_INET ||
	    !nc_path_selected(nc_result_selection_const(s->result), NC_PATH_PUBLISHED_REMOTE, "published-remote"))
		return;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return; /* not read: the diagnosis goes without it */
	nc_run_progress(s, "reading the firewall ruleset");
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->cond, NULL);
	j->result.published_port = c->published_port;
	j->input = (nc_platform_fw_packet_t){ .dst = rc->ns.host_address };
	j->input.dst.port = c->published_port;
	j->forward = (nc_platform_fw_packet_t){ .src = rc->ns.client_address, .dst = c->ip, .dnat = true };
	j->forward.dst.port = ct->port;
	snprintf(j->forward.iifname, sizeof(j->forward.iifname), "%s", rc->ns.host_ifname);
	snprintf(j->forward.oifname, sizeof(j->forward.oifname), "%s", ct->route.ifname);
	if (pthread_create(&thread, NULL, fw_read_main, j) != 0) {
		fw_read_free(j);
		return;
	}
	pthread_detach(thread);
	rc->fw = j;
}

/* Waits for the read (20 ms steps, NC_RUN_JOB_WAIT_MS at most, a signal
 * ends it at once); its answers into rc, or the read left to itself. */
static void fw_read_end(run_state_t *s, nc_remote_client_t *rc)
{
	struct fw_read *j = rc->fw;
	uint64_t until = nc_run_now_ms() + NC_RUN_JOB_WAIT_MS;
	bool done;

	if (j == NULL)
		return;
	rc->fw = NULL;
	pthread_mutex_lock(&j->lock);
	/* s NULL (teardown): not waited for */
	while (s != NULL && !j->done && !nc_run_interrupted(s) && nc_run_now_ms() < until) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&j->cond, &j->lock, &ts);
	}
	done = j->done;
	j->abandoned = !done;
	if (done) {
		rc->firewall = j->result;
		rc->firewall_read = true;
	}
	pthread_mutex_unlock(&j->lock);
	if (done)
		fw_read_free(j);
}

void nc_remote_read_firewall(run_state_t *s, nc_remote_client_t *rc, const nc_container_target_t *ct)
{
	rc->firewall_read = false; /* a watch's cycle reads it anew */
	nc_remote_read_firewall_begin(s, rc, ct);
	fw_read_end(s, rc);
}

void nc_remote_free(nc_remote_client_t *rc)
{
	fw_read_end(NULL, rc); /* begun, never waited for (the run ended first): left to itself */
	nc_remote_join(rc);
	nc_platform_remote_destroy(&rc->ns); /* "" name: nothing made */
	rc->note[0] = '\0';
}
