/* The capture stage's file: the pcapng (or classic pcap) file of a run,
 * written from the attributed packets once the probes are done (each
 * packet with its path and leg), or streamed as the packets are read
 * (`netcheck capture`), each capture point an interface by its unique
 * name, each closed with its kernel counters.  Called by run-capture.c.
 * May call: capture, pcapng, platform, result.  Never prints. */
#include "run-internal.h"

#include <errno.h>
#include <stdio.h>

#include "netcheck/attribute.h"
#include "netcheck/pcapng.h"

/* netcheck capture: every packet goes to the file as it is read, with a
 * comment saying what it is (nothing is attributed: there are no probes). */
int nc_run_capture_stream_packet(nc_capture_t *c, const nc_capture_frame_t *f, void *data)
{
	run_state_t *s = data;
	char comment[128];
	int r;

	(void)c;
	if (f->point >= NC_CAPTURE_MAX_POINTS || s->stream_ids[f->point] < 0)
		return 1;
	(void)nc_packet_describe(f->packet, comment, sizeof(comment));
	r = nc_pcapng_write_packet(s->stream, (uint32_t)s->stream_ids[f->point], f->ts_ns, f->bytes, f->caplen,
				   f->origlen, f->direction == NC_DIR_IN ? 1 : f->direction == NC_DIR_OUT ? 2 : 0,
				   comment);
	if (r == -EINVAL) /* classic pcap refuses a second link type: skip those */
		return 1;
	if (r < 0) {
		s->stream_error = r;
		return r;
	}
	if (f->ts_ns > s->stream_last_ts)
		s->stream_last_ts = f->ts_ns;
	return 0;
}

/* The capture file on opt->pcap_fd, with an interface per capture point
 * named by its unique name (ret_ids[i]: its id, or < 0).  *ret: new. */
int nc_run_capture_open_writer(run_state_t *s, nc_pcapng_t **ret, int *ret_ids, nc_error_t *err)
{
	const nc_environment_t *env = nc_result_environment(s->result);
	char os[200];
	int r;

	if (nc_platform_os_description(os, sizeof(os)) < 0)
		snprintf(os, sizeof(os), "unknown");
	r = nc_pcapng_open_fd(s->opt->pcap_fd, s->opt->pcap_classic ? NC_PCAPNG_FORMAT_PCAP : NC_PCAPNG_FORMAT_PCAPNG,
			      os, "netcheck " NC_VERSION, ret);
	if (r < 0)
		return nc_error_set(err, r, "cannot write %s: %s", s->opt->pcap_path, nc_strerror(r));
	for (size_t i = 0; i < NC_CAPTURE_MAX_POINTS; i++) {
		const nc_capture_point_info_t *pi = nc_capture_point(s->capture, i);

		ret_ids[i] = pi != NULL ? nc_pcapng_add_interface(*ret,
								   i < env->n_capture_points ? env->capture_points[i].name
											     : pi->name,
								   pi->description, pi->linktype, pi->snaplen)
					: -1;
	}
	return 0;
}

int nc_run_capture_write_pcap(run_state_t *s, const nc_packet_t *pkts, size_t n, const int *probe_of,
		      const nc_leg_t *leg_of, const int *path_of_probe, nc_error_t *err)
{
	nc_pcapng_t *w = NULL;
	size_t n_points = nc_capture_point_count(s->capture);
	int ids[NC_CAPTURE_MAX_POINTS];
	uint64_t last_ts = 0;
	int r;

	r = nc_run_capture_open_writer(s, &w, ids, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const nc_packet_t *pk = &pkts[i];
		char comment[128];
		const char *c = NULL;

		if (pk->point >= n_points || ids[pk->point] < 0)
			continue;
		if (probe_of[i] >= 0) {
			const nc_path_t *p = nc_result_path(s->result, (size_t)path_of_probe[probe_of[i]]);
			snprintf(comment, sizeof(comment), "path=%s leg=%s", p->name, nc_leg_name(leg_of[i]));
		} else {
			/* every packet says what it is: ARP, neighbour discovery, ... */
			(void)nc_packet_describe(pk, comment, sizeof(comment));
		}
		c = comment;
		r = nc_pcapng_write_packet(w, (uint32_t)ids[pk->point], pk->ts_ns, pk->data, pk->caplen, pk->origlen,
					   pk->direction == NC_DIR_IN ? 1 : pk->direction == NC_DIR_OUT ? 2 : 0, c);
		if (r < 0 && r != -EINVAL) /* classic pcap refuses a second link type: skip those */
			goto out;
		if (pk->ts_ns > last_ts)
			last_ts = pk->ts_ns;
	}
	for (size_t i = 0; i < n_points && i < NC_CAPTURE_MAX_POINTS; i++) {
		const nc_capture_point_info_t *pi = nc_capture_point(s->capture, i);
		if (ids[i] >= 0)
			(void)nc_pcapng_write_stats(w, (uint32_t)ids[i], last_ts, pi->received, pi->dropped);
	}
	r = nc_pcapng_flush(w);
out:
	nc_pcapng_free(w);
	if (r < 0)
		return nc_error_set(err, r, "writing %s failed: %s", s->opt->pcap_path, nc_strerror(r));
	return 0;
}

/* The streamed file's statistics blocks, then flushed and closed. */
int nc_run_capture_stream_close(run_state_t *s, nc_error_t *err)
{
	int r = s->stream_error;

	for (size_t i = 0; i < nc_capture_point_count(s->capture) && i < NC_CAPTURE_MAX_POINTS; i++) {
		const nc_capture_point_info_t *pi = nc_capture_point(s->capture, i);

		if (s->stream_ids[i] >= 0)
			(void)nc_pcapng_write_stats(s->stream, (uint32_t)s->stream_ids[i], s->stream_last_ts, pi->received,
						    pi->dropped);
	}
	if (r == 0)
		r = nc_pcapng_flush(s->stream);
	nc_pcapng_free(s->stream);
	s->stream = NULL;
	if (r < 0)
		return nc_error_set(err, r, "writing %s failed: %s", s->opt->pcap_path, nc_strerror(r));
	return 0;
}
