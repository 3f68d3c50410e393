/* netcheck's own containers in the engine: the responder image's
 * reference (the tag names the responder's source digest, so one build's
 * image is found again), its import when the engine lacks it (built from
 * the binary netcheck carries; nothing is pulled), and the labels every
 * container netcheck makes carries (gc finds killed runs' by them).  The
 * launched container, the capture agent and `probe --to`'s helper all
 * run it.  May call: engine, image, platform.  Never prints but through
 * nc_run_progress. */
#include "run-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "netcheck/image.h"
#include "netcheck/platform.h"

int nc_run_responder_image_ref(char *ret, size_t len)
{
	char tag[NC_IMAGE_TAG_MAX];

	if (nc_image_tag(nc_responder_source_digest, tag, sizeof(tag)) < 0)
		return -ENOSPC;
	return (size_t)snprintf(ret, len, "%s:%s", nc_image_name(), tag) >= len ? -ENOSPC : 0;
}

int nc_run_ensure_responder_image(run_state_t *s, int present, nc_error_t *err)
{
	char ref[NC_NAME_MAX], tag[NC_IMAGE_TAG_MAX];
	const char *const *changes;
	uint8_t *tar = NULL;
	size_t tar_len = 0, n_changes;
	int r;

	if (nc_run_responder_image_ref(ref, sizeof(ref)) < 0 || nc_image_tag(nc_responder_source_digest, tag, sizeof(tag)) < 0)
		return nc_error_set(err, -ENOSPC, "internal error: image tag");
	r = present >= 0 ? present : nc_engine_image_exists(s->engine, ref, err);
	if (r != 0)
		return r < 0 ? r : 0;
	nc_run_progress(s, "importing image %s (%zu KiB)", ref, nc_responder_bin_len / 1024);
	r = nc_image_build_tar(nc_responder_bin, nc_responder_bin_len, &tar, &tar_len);
	if (r < 0)
		return nc_error_set(err, r, "building the responder image failed: %s", nc_strerror(r));
	changes = nc_image_changes(&n_changes);
	r = nc_engine_image_import(s->engine, tar, tar_len, nc_image_name(), tag, changes, n_changes, err);
	free(tar);
	if (r < 0) {
		char prev[NC_ERROR_MAX];

		/* a half-imported image must not be mistaken for a good one
		 * next time; also (above all) after a signal cancelled the import */
		snprintf(prev, sizeof(prev), "%s", err != NULL ? err->text : "");
		nc_engine_set_cancel(s->engine, NULL);
		(void)nc_engine_image_remove(s->engine, ref, true, NULL);
		nc_engine_set_cancel(s->engine, s->opt->interrupted);
		return nc_error_set(err, r, "importing the responder image failed: %.400s", prev);
	}
	return 0;
}

void nc_run_label_spec(const run_state_t *s, nc_container_spec_t *spec, nc_run_owner_t *owner)
{
	snprintf(owner->pid, sizeof(owner->pid), "%d", (int)uv_os_getpid());
	nc_platform_owner_scope(owner->scope, sizeof(owner->scope));
	spec->labels[spec->n_labels++] = (nc_engine_kv_t){ NC_RUN_LABEL, nc_result_container_const(s->result)->run_id };
	spec->labels[spec->n_labels++] = (nc_engine_kv_t){ NC_RUN_PID_LABEL, owner->pid };
	spec->labels[spec->n_labels++] = (nc_engine_kv_t){ NC_RUN_SCOPE_LABEL, owner->scope };
}
