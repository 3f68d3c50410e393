/* netcheck: the policy room -- every "why" netcheck states.
 *
 * The environment's kind and the route rule, each path's verdict from
 * what its probe recorded, its mechanism, what it is expected to do
 * (the expectation table and --expect), whether it behaved as expected,
 * the diagnosis of a failed or surprising path, and the exit code.
 *
 * Decided from facts the other rooms recorded in the model
 * (netcheck/result.h, netcheck/facts.h) and from nothing else: this
 * header includes only the model, and the policy calls nothing but the
 * model.  Pure functions: no I/O, no printing.  Called by run (to
 * decide) and cli (the exit code, --expect). */
#ifndef NETCHECK_POLICY_H
#define NETCHECK_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "netcheck/facts.h"
#include "netcheck/result.h"

/* ==== classify.c: environment, route, verdict, mechanism ================= */

/* What the engine says of itself (/version, /info), before any container
 * exists: docker-desktop, rootless-docker, rootless-podman, podman or
 * native-linux. */
nc_env_kind_t nc_classify_engine(const nc_engine_facts_t *engine);
/* The whole decision, once the route to the container is known: a plain
 * engine (engine_kind from nc_classify_engine()) whose container is not
 * on-link here (only the default route, a gateway, no route) is
 * not-attached.  ret_attached: whether the container's bridge is an
 * interface of this namespace (never for rootless or Desktop engines,
 * whatever the route says). */
nc_env_kind_t nc_classify_environment(nc_env_kind_t engine_kind, nc_route_kind_t route, bool via_default,
				      bool *ret_attached);
/* Whether this host's kernel serves the engine's published ports and
 * host-gateway (native Linux, rootful Podman), so that netcheck's own
 * listener and remote client there mean anything. */
bool nc_classify_engine_is_local(nc_env_kind_t engine_kind);
/* container-to-host: how the connection came to netcheck's listener --
 * directly (the name led to the listener's own address and the peer is
 * not this host's loopback) or through a forwarder (a loopback peer: a
 * process here connected on the container's behalf, as Docker Desktop's
 * backend does; or the name led to another address).  NC_ARRIVAL_NONE
 * for other paths and when nothing arrived.  Pure; nc_classify_path()
 * sets p->arrival with it. */
nc_arrival_t nc_classify_host_arrival(const nc_path_t *p);

/* Which kernel runs the container (env->kernel, facts filled by run):
 * the same boot id as this host's is the same kernel instance; another one
 * is another kernel (a VM's, another machine's), whatever the releases
 * say.  Sets kernel.same_boot and kernel.meaning (the report's sentence,
 * which also reads env->kind and env->bridge_attached). */
void nc_classify_kernel(nc_environment_t *env);

/* The route rule: a direct probe is sent only when the route to the
 * container leaves through an interface whose network holds it: on-link,
 * not the default route, and the environment's container network attached
 * here (env->bridge_attached; never for rootless or Desktop engines, whose
 * addresses an on-link route here only collides with).  Through a gateway
 * or into a colliding network only when the user asked with allow_offhost.
 * Otherwise the path becomes `unroutable` with the reason in its detail,
 * and false is returned: the probe must not be sent.  env: borrowed; NULL
 * takes the container network to be attached. */
bool nc_classify_route(nc_path_t *p, nc_route_kind_t kind, bool via_default, const char *ifname,
		       const nc_environment_t *env, bool allow_offhost);

/* Published-loopback6 for a container port, from how the engine published
 * it (f) in an environment of kind env:
 *   NC_LOOPBACK6_NONE: there is no such path;
 *   NC_LOOPBACK6_PROBE: probe ::1 on f->host_port6;
 *   NC_LOOPBACK6_NOT_FORWARDED: a path users try (localhost resolving to
 *     ::1) that nothing forwards (dockerd's userland-proxy off): make it and
 *     let nc_classify_not_forwarded6() say why it is not sent. */
typedef enum nc_loopback6 {
	NC_LOOPBACK6_NONE = 0,
	NC_LOOPBACK6_PROBE,
	NC_LOOPBACK6_NOT_FORWARDED,
} nc_loopback6_t;
nc_loopback6_t nc_classify_loopback6(nc_env_kind_t env, const nc_publish_facts_t *f);
/* Marks p skipped with its detail and its no-forwarder diagnosis. */
void nc_classify_not_forwarded6(nc_path_t *p, const nc_publish_facts_t *f);

/* Whether a reachable published path may have been answered by another
 * container than the target (own: the target's addresses, n_own): the
 * kernel's DNAT (p->conntrack) sent it to none of own, or it is a remote
 * path to a port the target publishes on 127.0.0.1 only.  Run then lists
 * the engine's containers publishing p's host port (nc_diag_facts_t.others)
 * for the diagnosis (diagnose-other.c). */
bool nc_classify_answer_in_question(const nc_path_t *p, const nc_endpoint_t *own, size_t n_own);

/* Why run did not send a path, as it found it. */
typedef enum nc_not_sent {
	NC_NOT_SENT_NOT_PUBLISHED = 0, /* the container port has no host binding */
	NC_NOT_SENT_NOT_RUNNING,       /* the container is not running */
	NC_NOT_SENT_TASK_DOWN,         /* swarm: the node's task is missing, not running, or has no port */
	NC_NOT_SENT_NO_CLIENT,         /* no remote-client namespace (the engine's ports are not this
					* host's NAT, or none could be made) */
	NC_NOT_SENT_NO_INGRESS,        /* swarm: no routing-mesh port (no IPVS here) */
	NC_NOT_SENT_NO_RELAY,          /* a path from a container needs netcheck's responder in it */
	NC_NOT_SENT_NO_SOURCE,         /* swarm: no other node's task to start from */
	NC_NOT_SENT_NO_NETWORK,        /* the container has no network (--network none) */
	NC_NOT_SENT_LOOPBACK_ONLY,     /* published on 127.0.0.1 only: this path is not one it serves, as published */
	NC_NOT_SENT_COUNT,
} nc_not_sent_t;
/* Marks p not sent, with detail (fmt; NULL keeps the detail set): a path the target itself makes
 * impossible fails (not running, a task down: unreachable, the user's
 * container or service is the cause; a port not published, no network:
 * skipped, with that diagnosis, which is a finding that fails the run --
 * nc_expect_evaluate()); one that this host or netcheck cannot try proves
 * nothing (skipped). */
void nc_classify_not_sent(nc_path_t *p, nc_not_sent_t why, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* --swarm: whether node (borrowed; the model's record of it and its task)
 * keeps p from being sent: the node not ready or not active, no task, a
 * task not running, no port or address.  If so p is not sent (unreachable,
 * as an exited container's path) with a task-down diagnosis that names the
 * task's state and the engine's error, observed from the engine; role
 * names the node in the words ("node", "source node"). */
bool nc_classify_task_down(nc_path_t *p, const nc_node_t *node, const char *role);
/* Whether p was not sent for the target's own configuration (a port not
 * published -- or dropped by an internal network --, no network): skipped,
 * and its diagnosis is a finding. */
bool nc_classify_unsent_finding(const nc_path_t *p);
/* Was p not sent for its container's own state (not running: exited,
 * restarting), with a diagnosis that says which?  Its verdict stays
 * unreachable; the reason it is not as expected is that diagnosis. */
bool nc_classify_unsent_state(const nc_path_t *p);

/* A probe that could not be made (error: what making it returned, a
 * negative errno): a privilege this process lacks is a skip (it proves
 * nothing either way), anything else an error. */
void nc_classify_not_made(nc_path_t *p, int error);

/* The verdict of a path whose probe ended on a socket error
 * (p->probe_error, recorded by the probe): refused, timeout or
 * unreachable.  Paths without one keep the verdict their probe recorded. */
void nc_classify_verdict(nc_path_t *p);

/* For a path the probe found reachable:
 *   direct = the container saw our exact source address and port, and we
 *            dialled the container itself;
 *   nat    = it saw our source address and port though we dialled another
 *            address (the kernel rewrote the destination);
 *   proxy  = it saw a different peer: something re-originated the
 *            connection (forwarder, when known, names it).
 * answered_by is compared with the container's id: another container
 * answering means an IP collision and the path is marked foreign.
 * forwarder: borrowed, may be NULL. */
void nc_classify_path(nc_path_t *p, const nc_container_t *c, const nc_forwarder_t *forwarder);

/* What the packets add to what the responder said (after attribution):
 * a "proxy" whose onward leg the kernel rewrote is NAT; a forwarder whose
 * onward leg was never seen is out of sight; an answer with no view of
 * the peer (a user's service) gets its mechanism from the legs alone.
 * A path from a task routed (direct) whose client leg was seen inside VXLAN
 * between nodes is overlay.
 * env: the capture points (their kinds); forwarder: borrowed, may be NULL. */
void nc_classify_evidence(nc_path_t *p, const nc_environment_t *env, const nc_forwarder_t *forwarder);

/* ==== diagnose.c: why a path failed ====================================== */

/* The one place a failed or surprising path gets its "why": container
 * exited, not published, listening on loopback only, not listening,
 * reset (by whom), dropped between two capture points (naming what lies
 * between them on this host, and for published-remote the chain that
 * drops it when the ruleset says), no answer, a lost source address on a
 * reachable NAT path, or, on a reachable published-remote, an INPUT rule
 * meant to drop the port that Docker's DNAT goes around
 * (input-firewall-bypassed).  Sets p->diagnosis (NC_DIAG_NONE when nothing to
 * say).  env: borrowed, for the capture points; f may be NULL. */
void nc_classify_diagnose(nc_path_t *p, const nc_environment_t *env, const nc_diag_facts_t *f);
/* Below this uptime a container whose port nothing listens on is still
 * `starting`, not `not-listening`. */
#define NC_DIAG_STARTING_S 10.0

/* ==== expect.c: what each path should do ================================= */

/* The expectation table: what each path should do in each environment. */
nc_expectation_t nc_expect_for(nc_env_kind_t env, nc_path_kind_t path);
/* Fill each path's expectation from the table and the user's rules
 * (nc_result_expect_rule(): --expect-file, then --expect). */
void nc_expect_apply(nc_result_t *r);
/* --expect PATH=VALUE[,...]: PATH a path name, a glob or a group (direct,
 * published), VALUE a verdict or mechanism name or a |-set of them
 * (nat|proxy); stored as r's command-line rules.  Returns 0 or -EINVAL
 * with err set. */
struct nc_error;
int nc_expect_parse(nc_result_t *r, const char *spec, struct nc_error *err);
/* --expect-file (expect-file.c): the YAML text (len bytes, borrowed) of
 * the file named file, stored as r's file rules.  Returns 0, or -EINVAL
 * (-ENOMEM) with err set to one line "FILE:LINE: what is wrong". */
int nc_expect_file_parse(nc_result_t *r, const char *text, size_t len, const char *file, struct nc_error *err);
/* Applies the expectations (nc_expect_apply()), then sets each path's
 * `expected` and `unexpected` (a warning diagnosis counts against it: call
 * it once the diagnoses are made); returns how many did not behave as
 * expected. */
size_t nc_expect_evaluate(nc_result_t *r);

/* ==== exit.c: the exit code ============================================== */

/* The command whose exit code is asked for: what counts as success and
 * which errors are the user's differs between them. */
typedef enum nc_command {
	NC_CMD_RUN = 0,  /* netcheck run: our own test container, every path */
	NC_CMD_PROBE,    /* netcheck probe CONTAINER: the user's container */
	NC_CMD_CAPTURE,  /* netcheck capture CONTAINER: Ctrl-C is its normal end */
	NC_CMD_GC,       /* status: containers removed, or an error */
	NC_CMD_ENGINES,  /* status: how many engines answered (none → 69) */
	NC_CMD_HELP,     /* help, --help, --version: only the command line can fail */
	NC_CMD_COUNT,
} nc_command_t;

/* The one place an exit code is decided.  status: what the command's
 * library call returned (0 or a count on success; a negative errno or
 * NC_E* code on failure; -EINVAL for anything wrong on the command line).
 * r: borrowed, may be NULL (no run happened).  In order:
 *   - a signal: 130 SIGINT, 143 SIGTERM, 128+n otherwise; except that
 *     SIGINT is how `capture` ends, so capture + SIGINT + success → 0;
 *   - a failure: -EINVAL, NC_ECONFLICT and NC_EPORTTAKEN (a host port
 *     taken) → 64; NC_ENOTFOUND → 64 for every command (a container or
 *     network the user named does not exist: `probe NAME`, `capture NAME`,
 *     `run --network NAME`; README and netcheck(1) say so; the engine's 404
 *     on what netcheck made itself is NC_EGONE, an engine failure → 69);
 *     engine errors (NC_EENGINE, NC_ENOIMAGE, NC_EGONE,
 *     NC_EPROTO, NC_ETOOBIG, -ECONNREFUSED, -ENOENT, -ETIMEDOUT,
 *     -EHOSTUNREACH, -ECONNRESET, -ENOTSUP) → 69; -EPERM/-EACCES → 77;
 *     NC_ECANTCREAT (an output file cannot be created) → 73;
 *     NC_ECANCELED without a known signal → 130; anything else → 70;
 *   - success: engines with no engine answering → 69; run/probe without
 *     a result → 70; run whose test container could not be removed
 *     (neither removed nor kept) → 69; a path not as expected → 1; else 0. */
int nc_exit_code(nc_command_t cmd, int status, const nc_result_t *r, int signal_received);
/* nc_exit_code(NC_CMD_RUN, status, r, signal_received), for callers that
 * only know runs. */
int nc_exit_code_for(const nc_result_t *r, int status, int signal_received);

#endif
