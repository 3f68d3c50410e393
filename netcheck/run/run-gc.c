/* `netcheck gc`, and the clean-up at the start of every run: removes the
 * containers (and --swarm's services and overlay networks) of netcheck
 * runs whose process is gone (killed with SIGKILL,
 * or on a machine that rebooted).  A container kept with --keep is spared
 * unless asked (`gc --kept`): someone kept it on purpose.
 * Also the nftables trace tables of runs that are gone (witness), and
 * (`netcheck gc` only) the responder images of other netcheck builds that
 * no container runs: each build imports its own (the tag names its
 * responder's sources), so without this they pile up.
 * May call: engine, image, platform, witness.  Never prints. */
#include "run-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netcheck/image.h"
#include "netcheck/testing.h"
#include "netcheck/witness.h"

#define FOREIGN_OWNER_AGE_S 3600 /* a run elsewhere is over after an hour */

/* Is the run that made c gone?  Its pid label means something only in the
 * scope (boot and PID namespace) it was made in: elsewhere, age decides. */
static bool owner_gone(const nc_container_summary_t *c, const char *here)
{
	long pid;
	char *end;

	if (c->scope[0] != '\0' && strcmp(c->scope, here) != 0)
		return c->created > 0 && (int64_t)time(NULL) - c->created > FOREIGN_OWNER_AGE_S;
	pid = strtol(c->pid, &end, 10);
	if (c->pid[0] == '\0' || *end != '\0' || pid <= 0 || pid > 1 << 22)
		return true;
	return pid != (long)uv_os_getpid() && !nc_platform_process_is_netcheck((int)pid);
}

typedef enum gc_kind { GC_CONTAINER, GC_SERVICE, GC_NETWORK } gc_kind_t;
static const char *const what[] = { [GC_CONTAINER] = "container", [GC_SERVICE] = "service", [GC_NETWORK] = "network" };

/* Removes what of list (n entries, all of one kind) a gone run left, and
 * kept ones only with include_kept.  Returns how many were removed.  One
 * try each: a --swarm network whose tasks are still stopping stays listed
 * on its node for seconds after its removal (seen: the run's own DELETE
 * succeeded), and goes by itself. */
static int gc_pass(nc_engine_t *e, gc_kind_t kind, const nc_container_summary_t *list, size_t n, bool include_kept,
		   nc_run_removed_fn removed_cb, void *data, nc_error_t *err)
{
	char here[128];
	int removed = 0;

	nc_platform_owner_scope(here, sizeof(here));
	for (size_t i = 0; i < n; i++) {
		const nc_container_summary_t *o = &list[i];
		int r;

		if ((o->keep && !include_kept) || !owner_gone(o, here))
			continue;
		r = kind == GC_CONTAINER ? nc_engine_container_remove(e, o->id, true, true, err)
		    : kind == GC_SERVICE ? nc_engine_service_remove(e, o->id, err)
					 : nc_engine_network_remove(e, o->id, err);
		if (r == 0) {
			removed++;
			if (removed_cb != NULL)
				removed_cb(data, what[kind], o->id, o->run);
		}
	}
	return removed;
}

int nc_run_gc_listed(nc_engine_t *e, const nc_container_summary_t *list, size_t n, bool include_kept,
		     nc_run_removed_fn removed_cb, void *data, nc_error_t *err)
{
	int removed = gc_pass(e, GC_CONTAINER, list, n, include_kept, removed_cb, data, err);

	/* Named remote-client namespaces are a leftover of older runs: a run
	 * holds its own by an fd, never by a name, past its first moments. */
	for (unsigned round = 0; round < 8; round++) {
		char names[32][NC_REMOTE_NAME_MAX];
		size_t n_ns = 0, gone = 0;

		if (nc_platform_remote_list(names, NC_ARRAY_SIZE(names), &n_ns) < 0 || n_ns == 0)
			break;
		for (size_t i = 0; i < n_ns; i++)
			gone += nc_platform_remote_destroy_name(names[i]) == 0;
		if (gone == 0)
			break;
	}
	return removed;
}

int nc_run_gc_engine(nc_engine_t *e, bool include_kept,
		     nc_run_removed_fn removed_cb, void *data, nc_error_t *err)
{
	nc_container_summary_t *list = calloc(NC_RUN_GC_MAX, sizeof(*list));
	size_t n = 0;
	int r;

	if (list == NULL)
		return -ENOMEM;
	r = nc_engine_containers_list(e, NC_RUN_LABEL, list, NC_RUN_GC_MAX, &n, err);
	if (r >= 0)
		r = nc_run_gc_listed(e, list, n, include_kept, removed_cb, data, err);
	free(list);
	return r;
}

/* --swarm runs' services, then their networks.  Apart from the
 * containers' pass: a single-host run does not pay two more engine calls. */
int nc_run_gc_swarm(nc_engine_t *e, bool include_kept,
		    nc_run_removed_fn removed_cb, void *data)
{
	nc_container_summary_t *list = calloc(NC_RUN_GC_MAX, sizeof(*list));
	size_t n = 0;
	int removed = 0;

	if (list == NULL)
		return -ENOMEM;
	/* services: an engine that is no swarm manager lists none of ours */
	if (nc_engine_services_list(e, NC_RUN_LABEL, list, NC_RUN_GC_MAX, &n, NULL) >= 0)
		removed += gc_pass(e, GC_SERVICE, list, n, include_kept, removed_cb, data, NULL);
	if (nc_engine_networks_list(e, NC_RUN_LABEL, list, NC_RUN_GC_MAX, &n, NULL) >= 0)
		removed += gc_pass(e, GC_NETWORK, list, n, include_kept, removed_cb, data, NULL);
	free(list);
	return removed;
}

#define GC_IMAGES_MAX 64 /* one pass; the next gc takes the rest */

/* Untags (and so removes, with its last tag) each responder image of
 * another build that no container runs.  Never forced: an image a
 * container runs under its last tag stays (the engine says conflict),
 * and one a container runs under another tag keeps that tag.  Returns how
 * many tags were removed; nothing when the images cannot be listed. */
static int gc_images(nc_engine_t *e, nc_run_removed_fn removed_cb, void *data)
{
	nc_image_summary_t *list = calloc(GC_IMAGES_MAX, sizeof(*list));
	char current[NC_IMAGE_TAG_MAX];
	size_t n = 0;
	int removed = 0;

	if (list == NULL)
		return -ENOMEM;
	if (nc_image_tag(nc_responder_source_digest, current, sizeof(current)) < 0 ||
	    nc_engine_images_list(e, nc_image_name(), list, GC_IMAGES_MAX, &n, NULL) < 0)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		for (size_t t = 0; t < list[i].n_tags; t++) {
			const char *ref = list[i].tags[t];

			if (!nc_image_ref_is_other_build(ref, current) || nc_engine_containers_using(e, ref, NULL) != 0 ||
			    nc_engine_image_remove(e, ref, false, NULL) < 0)
				continue;
			removed++;
			if (removed_cb != NULL)
				removed_cb(data, "image", ref, "");
		}
	}
	free(list);
	return removed;
}

int nc_run_gc(const char *engine_url, bool include_kept, uint64_t engine_timeout_ms, volatile sig_atomic_t *intr,
	      nc_run_removed_fn removed_cb, void *data, nc_error_t *err)
{
	nc_engine_version_t version;
	nc_engine_t *e = NULL;
	int r;

	r = nc_run_connect(engine_url, NULL, engine_timeout_ms, intr, NULL, &e, &version, err);
	if (r < 0)
		return r;
	r = nc_run_gc_engine(e, include_kept, removed_cb, data, err);
	if (r >= 0) {
		int swarm = nc_run_gc_swarm(e, include_kept, removed_cb, data);
		int images = gc_images(e, removed_cb, data);
		/* trace tables a gone run left (a kernel without owner tables
		 * keeps them); without CAP_NET_ADMIN or nf_tables: none to say */
		int traces = nc_witness_trace_gc(NULL);

		r += swarm > 0 ? swarm : 0;
		r += images > 0 ? images : 0;
		r += traces > 0 ? traces : 0;
		if (traces > 0 && removed_cb != NULL)
			removed_cb(data, NC_TRACE_TABLE_PREFIX " table(s)", "", "");
	}
	nc_engine_free(e);
	return r;
}
