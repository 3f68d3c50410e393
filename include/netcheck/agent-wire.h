/* netcheck: the capture agent's wire format, and the clock estimate.
 *
 * The agent (the responder binary run as `/responder --agent ...` in a
 * container with the engine host's network and pids, see
 * netcheck/responder/agent.c) captures the engine side's points and
 * streams what it saw over the container's attach stream: its stdout.
 * netcheck writes its requests on the agent's stdin.  Both directions
 * carry the same records:
 *
 *   offset size  field
 *   0      1     version   NC_AGENT_WIRE_VERSION (a reader refuses others)
 *   1      1     type      nc_agent_rec_type_t
 *   2      2     point     capture point index, 0xffff: the agent itself
 *   4      4     length    bytes of body that follow, <= NC_AGENT_BODY_MAX
 *   8      ...   body      by type, below
 *
 * All integers big-endian.  Bodies:
 *   HELLO     u32 pid, u32 n_points, text: the agent's version string
 *   POINT     i32 ifindex, u32 linktype (DLT_*), u32 snaplen, u8 where
 *             (nc_point_where_t), u8 role (nc_agent_role_t), u8 pad[2],
 *             name (the interface's, NUL-terminated, < 64),
 *             description (NUL-terminated, < 128)
 *   PACKET    u64 ts_ns (agent CLOCK_REALTIME), u32 origlen, u8 direction
 *             (nc_direction_t), u8 pad[3], caplen bytes (link header first)
 *   COUNTERS  u64 received, u64 dropped, u64 filtered_out
 *   CLOCK_REQ u64 id                                  (netcheck -> agent)
 *   CLOCK     u64 id, u64 realtime_ns, u64 monotonic_ns
 *   ERROR     i32 negative errno, text (NUL-terminated, < 256)
 *   STOP      empty                                   (netcheck -> agent)
 *   BYE       empty: the agent's last record
 *   TARGET    words, each NUL-terminated, < NC_AGENT_TARGET_MAX bytes in all:
 *             the agent's own options (--container PID, --match ADDR, ...),
 *             sent once the run knows its container  (netcheck -> agent)
 *   ADDING    u32 n_points: the points a TARGET adds; a POINT or an ERROR
 *             follows for each
 * An agent is started with no points while the run's container starts
 * (HELLO says 0, the clock samples go meanwhile); its points come with
 * TARGET.  Options on its command line work as well (HELLO counts them).
 * Unknown types of the right version are skipped (the length says how far),
 * so a later minor addition does not break an older reader.
 *
 * Pure C, libc only: compiled into the static responder and into netcheck. */
#ifndef NETCHECK_AGENT_WIRE_H
#define NETCHECK_AGENT_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NC_AGENT_WIRE_VERSION 1
#define NC_AGENT_HEADER_SIZE 8
#define NC_AGENT_SNAPLEN_MAX 65535
#define NC_AGENT_BODY_MAX (NC_AGENT_SNAPLEN_MAX + 16)
#define NC_AGENT_RECORD_MAX (NC_AGENT_HEADER_SIZE + NC_AGENT_BODY_MAX)
#define NC_AGENT_POINT_SELF 0xffffu
#define NC_AGENT_NAME_MAX 64
#define NC_AGENT_DESC_MAX 128
#define NC_AGENT_TEXT_MAX 256
#define NC_AGENT_TARGET_MAX 1024

typedef enum nc_agent_rec_type {
	NC_AGENT_HELLO = 1,
	NC_AGENT_POINT,
	NC_AGENT_PACKET,
	NC_AGENT_COUNTERS,
	NC_AGENT_CLOCK_REQ,
	NC_AGENT_CLOCK,
	NC_AGENT_ERROR,
	NC_AGENT_STOP,
	NC_AGENT_BYE,
	NC_AGENT_TARGET,
	NC_AGENT_ADDING,
} nc_agent_rec_type_t;

/* What a point is to the container it was found from (--container PID). */
typedef enum nc_agent_role {
	NC_AGENT_ROLE_OTHER = 0, /* named with --point */
	NC_AGENT_ROLE_BRIDGE,    /* the bridge the container's veth is a port of */
	NC_AGENT_ROLE_VETH,      /* the engine side's end of the container's eth0 */
	NC_AGENT_ROLE_CONTAINER, /* eth0 inside the container */
	NC_AGENT_ROLE_UPLINK,    /* --point-addr ADDR: the engine host's interface holding ADDR */
	NC_AGENT_ROLE_OVERLAY,   /* --overlay NETID: that overlay's VXLAN device in its namespace */
} nc_agent_role_t;

/* One record, decoded.  Pointers borrow from the buffer decoded. */
typedef struct nc_agent_rec {
	nc_agent_rec_type_t type;
	uint16_t point;
	union {
		struct { uint32_t pid, n_points; const char *version; } hello;
		struct {
			int32_t ifindex;
			uint32_t linktype, snaplen;
			uint8_t where, role;
			const char *name, *description;
		} point;
		struct {
			uint64_t ts_ns;
			uint32_t origlen, caplen;
			uint8_t direction;
			const uint8_t *bytes;
		} packet;
		struct { uint64_t received, dropped, filtered_out; } counters;
		struct { uint64_t id, realtime_ns, monotonic_ns; } clock; /* CLOCK_REQ: id only */
		struct { int32_t error; const char *text; } error;
		struct { const char *words; uint32_t len; } target; /* len bytes: NUL-terminated words */
		struct { uint32_t n_points; } adding;
	} u;
} nc_agent_rec_t;

/* Encodes rec into buf (size bytes).  Returns the record's length, or
 * -ENOSPC (buf too small), -EINVAL (a field out of its bounds: caplen over
 * NC_AGENT_SNAPLEN_MAX, a name too long, an unknown type). */
int nc_agent_rec_encode(const nc_agent_rec_t *rec, uint8_t *buf, size_t size);

/* Decodes the record at the start of buf (len bytes available).
 * Returns the record's length (> 0) and fills *ret, 0 when buf holds only
 * part of a record (read more), or -EPROTO (another version, a length over
 * NC_AGENT_BODY_MAX, a body that does not match its type, text not
 * terminated).  A record of an unknown type decodes with ret->type as read
 * and nothing else filled: the caller skips it.  ret borrows from buf. */
int nc_agent_rec_decode(const uint8_t *buf, size_t len, nc_agent_rec_t *ret);

/* One clock exchange: netcheck's CLOCK_REALTIME when it sent the request
 * and when it read the answer, and the agent's CLOCK_REALTIME in it. */
typedef struct nc_agent_clock_sample {
	uint64_t sent_ns, agent_ns, received_ns;
} nc_agent_clock_sample_t;

/* The agent's clock minus netcheck's, from the sample with the shortest
 * round trip (NTP's choice: the least queueing): offset = agent -
 * (sent + received) / 2, uncertainty = half that round trip (the agent
 * read its clock somewhere inside it).  Samples whose received < sent are
 * ignored.  Returns the index of the sample used, or -EINVAL (none usable). */
int nc_agent_clock_estimate(const nc_agent_clock_sample_t *samples, size_t n, int64_t *ret_offset_ns,
			    uint64_t *ret_uncertainty_ns);

#endif
