/* netcheck: pcapng (and classic pcap) capture-file writer.
 *
 * libpcap reads pcapng but only writes classic pcap, which has one link
 * type per file and no room for interface names or per-packet comments.
 * This module writes what netcheck captured so Wireshark shows, per
 * packet, which capture point saw it and which path/leg it belongs to.
 *
 * Owns: the writer state, the fd when opened by path, one block buffer.
 * Calls: only libc (open/write/poll/ftruncate).  Never prints.
 *
 * File layout (pcapng, draft-ietf-opsawg-pcapng): one Section Header
 * Block written by nc_pcapng_open*(), then an Interface Description Block
 * per nc_pcapng_add_interface(), Enhanced Packet Blocks and Interface
 * Statistics Blocks.  Everything is in host byte order; readers detect it
 * from the byte-order magic.  Timestamps are nanoseconds (if_tsresol = 9).
 *
 * Crash safety: each block is built in memory and handed to the kernel
 * with a single write() (a short write is continued; EINTR is retried;
 * EAGAIN waits in poll()).  Nothing is held back in user space, so a
 * process killed between two calls leaves a file that ends on a block
 * boundary.  If a write fails part-way through a block (ENOSPC, EFBIG) on
 * a regular file, the file is cut back to the last whole block; where that
 * is impossible (pipes) the error sticks and every later call returns it.
 * Writing to a pipe whose reader went away raises SIGPIPE unless the
 * process ignores it (main.c does).
 *
 * Classic pcap (NC_PCAPNG_FORMAT_PCAP): the 24-byte global header (magic
 * 0xa1b23c4d, nanosecond timestamps) is written when the first interface
 * is added and takes that interface's link type and snaplen.  Several
 * capture points map onto one classic pcap stream only when they share a
 * link type: packets from an interface with another link type, or longer
 * than the first interface's snaplen, are refused with -EINVAL.  Interface
 * names and descriptions, packet comments, direction and statistics cannot
 * be stored and are dropped silently (nc_pcapng_write_stats() returns 0).
 *
 * A writer is not thread-safe; use it from the loop thread only. */
#ifndef NETCHECK_PCAPNG_H
#define NETCHECK_PCAPNG_H

#include <stdint.h>

/* Strings longer than these are cut (on a UTF-8 character boundary). */
#define NC_PCAPNG_COMMENT_MAX 1024 /* opt_comment, bytes */
#define NC_PCAPNG_NAME_MAX 256     /* if_name, if_description, shb_os, shb_userappl */
/* Largest snaplen/caplen accepted (libpcap's MAXIMUM_SNAPLEN).  snaplen 0
 * means "no limit" and is treated as this value. */
#define NC_PCAPNG_SNAPLEN_MAX 262144u
/* Most interfaces per file; nc_pcapng_add_interface() fails with -E2BIG
 * beyond it. */
#define NC_PCAPNG_INTERFACES_MAX 1024u

typedef struct nc_pcapng nc_pcapng_t;

typedef enum {
	NC_PCAPNG_FORMAT_PCAPNG,
	NC_PCAPNG_FORMAT_PCAP,
} nc_pcapng_format_t;

enum {
	NC_PCAPNG_DIRECTION_UNKNOWN = 0,
	NC_PCAPNG_DIRECTION_INBOUND = 1,
	NC_PCAPNG_DIRECTION_OUTBOUND = 2,
};

/* Creates (or truncates) path with mode (e.g. 0600, umask applies),
 * O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, and in pcapng format writes the
 * Section Header Block at once with shb_os = os and shb_userappl = appl
 * (either may be NULL to leave the option out).
 * path, os, appl: borrowed for the call.  *ret_writer: new, release with
 * nc_pcapng_free(), which closes the file. */
int nc_pcapng_open(const char *path, int mode, nc_pcapng_format_t format, const char *os,
		   const char *appl, nc_pcapng_t **ret_writer);

/* Same on an fd the caller owns (stdout, a memfd in tests).  Writing
 * starts at the fd's current offset; nc_pcapng_free() does not close fd.
 * *ret_writer: new. */
int nc_pcapng_open_fd(int fd, nc_pcapng_format_t format, const char *os, const char *appl,
		      nc_pcapng_t **ret_writer);

/* Writes an Interface Description Block: if_name = name, if_description =
 * description (each may be NULL), if_tsresol = 9, linktype (a LINKTYPE_*
 * value, 0..65535), snaplen (0 = no limit, at most NC_PCAPNG_SNAPLEN_MAX).
 * name, description: borrowed for the call.
 * Returns the interface id (0, 1, ... in call order) or a negative errno. */
int nc_pcapng_add_interface(nc_pcapng_t *w, const char *name, const char *description,
			    int linktype, uint32_t snaplen);

/* Writes an Enhanced Packet Block for interface if_id: ts_ns is
 * nanoseconds since the epoch; data holds caplen bytes (may be NULL when
 * caplen is 0); caplen <= origlen and caplen <= the interface's snaplen;
 * direction is one of NC_PCAPNG_DIRECTION_* (stored as epb_flags bits
 * 0-1, left out when unknown); comment (NULL = none) becomes opt_comment.
 * data, comment: borrowed for the call.
 * Returns 0, -EINVAL on bad arguments (unknown if_id, caplen too large,
 * or, in classic pcap, a link type differing from the first interface),
 * or the write error. */
int nc_pcapng_write_packet(nc_pcapng_t *w, uint32_t if_id, uint64_t ts_ns, const uint8_t *data,
			   uint32_t caplen, uint32_t origlen, int direction, const char *comment);

/* Writes an Interface Statistics Block for if_id taken at ts_ns (ns since
 * the epoch): isb_ifrecv = received, isb_ifdrop = dropped (as libpcap's
 * pcap_stats() reports them).  isb_starttime/isb_endtime are not written:
 * the writer does not know when the capture started. */
int nc_pcapng_write_stats(nc_pcapng_t *w, uint32_t if_id, uint64_t ts_ns, uint64_t received,
			  uint64_t dropped);

/* Blocks already reach the kernel as they are written; this makes them
 * durable (fdatasync) when the output is a regular file, and returns any
 * error that stuck from an earlier write. */
int nc_pcapng_flush(nc_pcapng_t *w);

/* Flushes, closes the fd if nc_pcapng_open() opened it, frees w.
 * Accepts NULL and writers in the error state. */
void nc_pcapng_free(nc_pcapng_t *w);

#endif
