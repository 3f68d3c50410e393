/* Fed points: capture points whose packets netcheck does not read itself
 * but is handed (the capture agent's, on the engine's side).  They are
 * points like the others from then on: stored, decoded, passed to the
 * packet callback, counted, attributed, written to the pcapng file.
 * May call: capture-loop.c (nc_capture_keep), packet.c. */
#include "capture-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int nc_capture_add_fed_point(nc_capture_t *c, const char *name, const char *description, int linktype,
			     uint32_t snaplen, int ifindex)
{
	struct point *pt;

	if (c == NULL || name == NULL || strlen(name) >= sizeof(pt->info.name))
		return -EINVAL;
	if (c->state == STATE_STOPPING || c->state == STATE_STOPPED)
		return -EBUSY;
	if (c->n_points >= NC_CAPTURE_MAX_POINTS)
		return -ENOSPC;
	pt = &c->points[c->n_points];
	memset(pt, 0, sizeof(*pt));
	pt->capture = c;
	pt->fed = true;
	snprintf(pt->info.name, sizeof(pt->info.name), "%s", name);
	snprintf(pt->info.description, sizeof(pt->info.description), "%s", description != NULL ? description : "");
	pt->info.linktype = linktype;
	pt->info.snaplen = snaplen;
	pt->info.ifindex = ifindex;
	pt->info.in_netns = true;
	pt->info.direction_known = true;
	return (int)c->n_points++;
}

static struct point *fed_point(nc_capture_t *c, uint32_t point)
{
	if (c == NULL || point >= c->n_points || !c->points[point].fed)
		return NULL;
	return &c->points[point];
}

int nc_capture_feed_packet(nc_capture_t *c, uint32_t point, uint64_t ts_ns, nc_direction_t direction,
			   const uint8_t *bytes, uint32_t caplen, uint32_t origlen)
{
	struct point *pt = fed_point(c, point);

	if (pt == NULL || (bytes == NULL && caplen > 0) || caplen > origlen)
		return -EINVAL;
	if (c->state != STATE_STARTED || pt->failed)
		return -EBUSY; /* what comes after the stop is not this run's */
	nc_capture_keep(pt, ts_ns, bytes, caplen, origlen, (int)direction);
	return 0;
}

int nc_capture_feed_counters(nc_capture_t *c, uint32_t point, uint64_t received, uint64_t dropped)
{
	struct point *pt = fed_point(c, point);

	if (pt == NULL)
		return -EINVAL;
	if (pt->failed)
		return -EBUSY; /* a failed point takes no more (capture.h), its counts neither */
	pt->info.received = received;
	pt->info.dropped = dropped;
	return 0;
}

int nc_capture_feed_failed(nc_capture_t *c, uint32_t point, int error, const char *text)
{
	struct point *pt = fed_point(c, point);

	if (pt == NULL || error >= 0)
		return -EINVAL;
	pt->failed = true;
	pt->info.error = error;
	snprintf(pt->info.error_text, sizeof(pt->info.error_text), "%s", text != NULL ? text : "");
	return 0;
}
