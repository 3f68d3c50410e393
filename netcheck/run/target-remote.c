/* published-remote's client, for the launched target (target-launched.c):
 * netcheck's remote-client namespace (made on a thread of its own while the
 * engine starts the container), the firewall's answers for its packets
 * (read while privileged, before the probes), and its path.
 * May call: platform, probe, classify, result, and target-container.c /
 * run-paths.c / run-common.c below it.  Never prints. */
#include "target-container.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* A client in another namespace, for published-remote: only where the
 * container's bridge is on this host (else the path is skipped, with the
 * reason) and only for netcheck's own container. */
static void make_remote(run_state_t *s, nc_remote_client_t *rc)
{
	nc_error_t rerr = { "" };
	nc_env_kind_t kind = nc_run_engine_kind(&s->version, &s->engine_info);

	if (!nc_path_selected(nc_result_selection_const(s->result), NC_PATH_PUBLISHED_REMOTE, "published-remote"))
		return; /* --paths/--skip left the path out: no namespace, capture point or ruleset read for it */
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

/* What a client on another machine sees: from netcheck's own namespace
 * to the host's primary address and the published port, through
 * PREROUTING and FORWARD like a remote client. */
void nc_remote_add_path(run_state_t *s, nc_remote_client_t *rc, nc_container_target_t *ct, uint64_t timeout)
{
	const nc_container_t *c = nc_result_container(s->result);
	nc_probe_tcp_options_t opts = { .http = true, .use_socket_fd = true };
	nc_endpoint_t target = rc->ns.host_address;
	nc_probe_t *probe = NULL;
	nc_path_t *p;
	int fd, r;

	target.port = c->published_port;
	p = nc_ct_add_path(s, ct, NC_PATH_PUBLISHED_REMOTE, NULL, ct->port, &target);
	if (p == NULL)
		return;
	if (rc->ns.netns_name[0] == '\0' || c->published_port == 0) {
		nc_classify_not_sent(p, NC_NOT_SENT_NO_CLIENT, "%s",
				     rc->note[0] ? rc->note : "not sent: no remote-client namespace");
		return;
	}
	r = nc_platform_remote_connect_fd(&rc->ns, SOCK_STREAM, &fd);
	if (r < 0) {
		nc_run_add_probe(s, p, r, NULL);
		return;
	}
	/* the witness traces this client, not published-host's (the same destination) */
	if (nc_result_path_count(s->result) - 1 < NC_MAX_PATHS)
		s->witness_src[nc_result_path_count(s->result) - 1] = rc->ns.client_address;
	opts.socket_fd = fd;
	opts.http_path = NULL; /* netcheck's responder: GET /<nonce>, the peer it saw */
	r = nc_probe_tcp_new(&s->loop, p, timeout, &opts, &probe);
	nc_run_add_probe(s, p, r, probe);
}

/* The firewall ruleset, for published-remote's diagnosis: read only in runs
 * that probe it, before the probes (reading needs CAP_NET_ADMIN, which the
 * probe stage drops), and asked the two questions at once so that nothing
 * of the ruleset outlives the stage.  A ruleset that cannot be read is not
 * an error: the diagnosis says so. */
void nc_remote_read_firewall(run_state_t *s, nc_remote_client_t *rc, const nc_container_target_t *ct)
{
	const nc_container_t *c = nc_result_container(s->result);
	nc_diag_firewall_t *f = &rc->firewall;
	nc_platform_fw_packet_t input = { .dst = rc->ns.host_address };
	nc_platform_fw_packet_t forward = { .src = rc->ns.client_address, .dst = c->ip, .dnat = true };
	nc_platform_firewall_t *fw = NULL;
	nc_error_t ferr = { "" };
	uint64_t start = uv_hrtime();
	int r;

	if (rc->ns.netns_name[0] == '\0' || c->published_port == 0 || c->ip.family != AF_INET)
		return;
	nc_run_progress(s, "reading the firewall ruleset");
	rc->firewall_read = true;
	f->published_port = c->published_port;
	input.dst.port = c->published_port;
	forward.dst.port = ct->port;
	snprintf(forward.iifname, sizeof(forward.iifname), "%s", rc->ns.host_ifname);
	snprintf(forward.oifname, sizeof(forward.oifname), "%s", ct->route.ifname);
	f->status = nc_platform_firewall_read(&fw, &ferr);
	if (f->status == 0) {
		f->legacy_tables = nc_platform_firewall_legacy_tables(fw);
		r = nc_platform_firewall_drops(fw, NC_PLATFORM_HOOK_INPUT, &input, &f->input);
		f->input_drop = r == 1;
		if (r >= 0) {
			r = nc_platform_firewall_drops(fw, NC_PLATFORM_HOOK_FORWARD, &forward, &f->forward);
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
}

void nc_remote_free(nc_remote_client_t *rc)
{
	nc_remote_join(rc);
	nc_platform_remote_destroy(&rc->ns); /* "" name: nothing made */
	rc->note[0] = '\0';
}
