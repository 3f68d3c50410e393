/* witness: what the files of the drop-reason module share (not part of
 * the API).  witness-drop.c is the kernel side (libbpf, the ring buffer,
 * the loop), witness-drop-collect.c everything that needs no kernel:
 * flows to the map's form, events to drops, reason and symbol names. */
#ifndef NETCHECK_WITNESS_DROP_INTERNAL_H
#define NETCHECK_WITNESS_DROP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netcheck/dropreason.h"
#include "witness-drop-abi.h"

#define DROP_BTF_PATH "/sys/kernel/btf/vmlinux"
#define DROP_KALLSYMS_PATH "/proc/kallsyms"
#define DROP_KALLSYMS_MAX_BYTES (64u << 20) /* a bound on reading kallsyms (5 MiB on a 6.18 kernel) */
#define DROP_SYMBOL_MAX_OFFSET 0x100000     /* a location further past its symbol is not named */
#define DROP_MAX_SYMBOLS 256                /* distinct locations named; more stay unnamed */

typedef struct drop_flow_state {
	size_t n_drops;
	nc_drop_t drops[NC_DROP_MAX_KINDS];
} drop_flow_state_t;

typedef struct drop_name {
	uint32_t value;
	char *name;                 /* owned */
} drop_name_t;

typedef struct drop_symbol {
	uint64_t location;
	char *name;                 /* owned; NULL: not found */
} drop_symbol_t;

struct nc_dropreason {
	struct drop_flow *flows;    /* owned, NC_DROP_MAX_FLOWS, n_flows used: the map's form */
	drop_flow_state_t *state;   /* owned, NC_DROP_MAX_FLOWS */
	size_t n_flows;
	nc_drop_stats_t stats;

	/* names, read when first asked for */
	const char *btf_path;       /* borrowed (a literal, or the test's) */
	const char *kallsyms_path;  /* borrowed, same */
	bool names_read;
	drop_name_t *reasons;       /* owned, n_reasons: enum skb_drop_reason */
	size_t n_reasons;
	drop_name_t *subsystems;    /* owned, n_subsystems: enum skb_drop_reason_subsys */
	size_t n_subsystems;
	drop_symbol_t *symbols;     /* owned, n_symbols */
	size_t n_symbols;
	size_t symbols_resolved;    /* symbols[0..symbols_resolved) have been looked up */

	/* witness-drop.c: the kernel side */
	void *skel;                 /* owned struct nc_drop * (the skeleton) */
	void *ring;                 /* owned struct ring_buffer * */
	uv_poll_t *poll;            /* owned until its close callback */
	bool stopped;
};

/* witness-drop-collect.c */
/* f to the map's form.  0 or -EINVAL (no address, two families, an
 * unknown family). */
int drop_flow_from_endpoints(const nc_drop_flow_t *f, struct drop_flow *ret);
/* Appends flows (n of them, may be 0) in the map's form: all or none.
 * 0, -EINVAL (a flow), -E2BIG (more than NC_DROP_MAX_FLOWS in all). */
int drop_append_flows(nc_dropreason_t *d, const nc_drop_flow_t *flows, size_t n);
/* The state for flows (n may be 0) without a kernel behind it (the tests
 * feed it).  ret: new, free with nc_dropreason_free().  0, -EINVAL, -ENOMEM. */
int nc_dropreason_offline(const nc_drop_flow_t *flows, size_t n, nc_dropreason_t **ret);
/* Where the names come from (defaults: the running kernel's); borrowed,
 * must outlive d. */
void nc_dropreason_set_sources(nc_dropreason_t *d, const char *btf_path, const char *kallsyms_path);
/* Folds one event into its flow's drops.  0, or -EINVAL (flow out of range). */
int drop_collect_event(nc_dropreason_t *d, const struct drop_event *e);
/* Reads the reason names from d's BTF: raw (one walk; libbpf when it
 * meets a kind it does not know) or with_libbpf.  0 or a negative errno. */
int drop_read_reason_names(nc_dropreason_t *d, bool with_libbpf);
/* Forgets the flows and their drops (the map's side is the caller's). */
void drop_clear_flows(nc_dropreason_t *d);
/* Frees what collect allocated (called by nc_dropreason_free()). */
void drop_collect_free(nc_dropreason_t *d);

#endif
