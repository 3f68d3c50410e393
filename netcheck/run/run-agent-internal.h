/* Private to the capture agent's two halves: run-agent.c (its container:
 * made, told its points, removed) and run-agent-stream.c (its records on
 * the loop: points, packets, clock, goodbye). */
#ifndef NETCHECK_RUN_AGENT_INTERNAL_H
#define NETCHECK_RUN_AGENT_INTERNAL_H

#include "run-internal.h"

#include <time.h>

#include "netcheck/agent-wire.h"

#define AGENT_CLOCK_SAMPLES 8
#define AGENT_READY_MS 3000 /* the agent's points open within this, or the run goes on without them */
#define AGENT_POINTS 16
#define AGENT_SNAPLEN "512"

struct nc_run_agent {
	uv_poll_t poll;              /* first: its close callback frees the whole struct */
	run_state_t *s;              /* borrowed */
	nc_engine_t *engine;         /* owned: a handle of its own on the engine it runs through (s->engine's or a
				      * swarm node's, nc_engine_clone), used on its threads */
	char node_id[80];            /* --swarm: the node it captures on; "" otherwise */
	char node_name[NC_NAME_MAX]; /* --swarm: names its points "<ifname>@<node>" */
	uint64_t started_ns;         /* when it was asked for: its time to ready */
	uint64_t target_ns;          /* when its TARGET went */
	/* the request (nc_run_agent_launch), made on a thread of its own
	 * (nc_run_agent_begin, joined in nc_run_agent_wait): the spec points
	 * into the strings below */
	bool requested, on_thread; /* on_thread: its thread (making, removing) is to be joined */
	uv_thread_t thread;
	nc_container_spec_t spec;
	char image[NC_NAME_MAX], name[NC_NAME_MAX];
	nc_run_owner_t owner;        /* the labels' values */
	char target[NC_AGENT_TARGET_MAX]; /* TARGET's words (agent_target), sent once its stream is polled */
	size_t target_len;
	bool target_sent, adding_seen;
	char shared_mode[16 + sizeof(((nc_container_t *)0)->id)]; /* rootless: "container:<the target's id>" (share_target_namespaces) */
	int make_r;                  /* what making it gave: 0 or a negative errno */
	const char *make_step;       /* static: the step that failed */
	nc_error_t make_err;
	char id[NC_ENGINE_ID_MAX];   /* the agent's container; "" = none made */
	int fd;                      /* the attach stream; -1 when closed */
	bool poll_open;
	nc_engine_demux_t demux;
	uint8_t buf[2 * NC_AGENT_RECORD_MAX]; /* stdout bytes not yet a whole record */
	size_t len;
	uint32_t expected_points;    /* HELLO's count, and ADDING's */
	uint32_t answered_points;    /* POINT or ERROR records for them */
	bool hello, bye, dead;
	int point_of[AGENT_POINTS];  /* the agent's point → the capture's, or -1 */
	nc_agent_clock_sample_t samples[AGENT_CLOCK_SAMPLES];
	size_t n_samples;
	uint64_t clock_sent_ns;
	int64_t offset_ns;
};

static inline uint64_t nc_run_agent_now_ns(void)
{
	return uv_hrtime(); /* monotonic: only differences of it are used */
}

/* Appends to the environment's agent_note: every reason, in order. */
void nc_run_agent_note(run_state_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Its attach stream polled on the run's loop (a made agent). */
void nc_run_agent_listen(run_state_t *s, struct nc_run_agent *a);
/* Its TARGET, once: its points. */
void nc_run_agent_send_target(struct nc_run_agent *a);
/* nc_run_loop_until's test: every agent of s (run_state_t) ready, or gone. */
bool nc_run_agent_all_ready(const void *s);
/* Its stream closed and a freed (at once, or in the poll's close callback). */
void nc_run_agent_close(struct nc_run_agent *a);

#endif
