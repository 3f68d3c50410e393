/* netcheck: pcapng (and classic pcap) capture-file writer.
 *
 * See include/netcheck/pcapng.h for what it owns and the crash-safety
 * rules.  Each block is assembled in w->block (grown on demand, bounded by
 * the string and snaplen limits) and handed to write_block(), the only
 * place that touches the fd. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "netcheck/pcapng.h"
#include "netcheck/testing.h"

/* Block types and option codes, draft-ietf-opsawg-pcapng. */
#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_ISB 0x00000005u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du

#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define OPT_SHB_OS 3
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_DESCRIPTION 3
#define OPT_IF_TSRESOL 9
#define OPT_EPB_FLAGS 2
#define OPT_ISB_IFRECV 4
#define OPT_ISB_IFDROP 5

#define TSRESOL_NS 9 /* 10^-9 s */

/* Classic pcap, nanosecond variant. */
#define PCAP_MAGIC_NS 0xA1B23C4Du
#define PCAP_HEADER_LEN 24u
#define PCAP_RECORD_LEN 16u

struct interface {
	int linktype;
	uint32_t snaplen; /* effective: 0 was replaced by NC_PCAPNG_SNAPLEN_MAX */
};

struct nc_pcapng {
	int fd;
	bool owns_fd;
	nc_pcapng_format_t format;
	/* 0, or the error that left a partial block we could not cut off. */
	int error;
	/* Regular file we may ftruncate() back to `offset` after a failed
	 * write; offset is where the last whole block ended. */
	bool can_truncate;
	off_t offset;

	struct interface *interfaces; /* owned, n_interfaces used */
	uint32_t n_interfaces;
	uint32_t cap_interfaces;

	/* Classic pcap: global header written, with these values. */
	bool pcap_header_written;
	int pcap_linktype;
	uint32_t pcap_snaplen;

	uint8_t *block; /* owned scratch, block_cap bytes */
	size_t block_cap;
};

/* Assembles one block in w->block. */
struct builder {
	uint8_t *p; /* borrowed from w->block */
	size_t len;
	size_t cap;
};

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Length of s cut to at most max bytes, not splitting a UTF-8 sequence
 * (the spec requires UTF-8 strings).  NULL and "" give 0. */
static size_t bounded_strlen(const char *s, size_t max)
{
	size_t len;

	if (s == NULL)
		return 0;
	len = strnlen(s, max);
	/* strnlen stopped at max, so s[len] exists.  If it continues a
	 * multi-byte character, drop that character's leading bytes too. */
	if (len == max && s[len] != '\0')
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	return len;
}

/* Size of a string option holding len bytes; 0 when left out. */
static size_t str_opt_size(size_t len)
{
	return len == 0 ? 0 : 4 + pad4(len);
}

static void put(struct builder *b, const void *src, size_t n)
{
	/* Sizes are computed before building; this cannot overflow. */
	if (n > b->cap - b->len)
		abort();
	memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void put_u16(struct builder *b, uint16_t v)
{
	put(b, &v, sizeof(v));
}

static void put_u32(struct builder *b, uint32_t v)
{
	put(b, &v, sizeof(v));
}

static void put_u64(struct builder *b, uint64_t v)
{
	put(b, &v, sizeof(v));
}

static void put_padding(struct builder *b)
{
	static const uint8_t zeros[3];

	put(b, zeros, pad4(b->len) - b->len);
}

static void put_option(struct builder *b, uint16_t code, const void *value, size_t len)
{
	put_u16(b, code);
	put_u16(b, (uint16_t)len);
	put(b, value, len);
	put_padding(b);
}

static void put_str_option(struct builder *b, uint16_t code, const char *s, size_t len)
{
	if (len > 0)
		put_option(b, code, s, len);
}

/* Makes room for size bytes in w->block and points b at it. */
static int block_reserve(nc_pcapng_t *w, struct builder *b, size_t size)
{
	if (size > w->block_cap) {
		uint8_t *p = realloc(w->block, size);
		if (p == NULL)
			return -ENOMEM;
		w->block = p;
		w->block_cap = size;
	}
	b->p = w->block;
	b->len = 0;
	b->cap = size;
	return 0;
}

/* Reserves a pcapng block of size bytes and writes its header. */
static int block_begin(nc_pcapng_t *w, struct builder *b, uint32_t type, size_t size)
{
	int r = block_reserve(w, b, size);

	if (r < 0)
		return r;
	put_u32(b, type);
	put_u32(b, (uint32_t)size);
	return 0;
}

/* Closes the options list (if any) and repeats the total length. */
static void block_end(struct builder *b, bool has_options)
{
	if (has_options) {
		put_u16(b, OPT_ENDOFOPT);
		put_u16(b, 0);
	}
	put_u32(b, (uint32_t)b->cap);
	if (b->len != b->cap)
		abort();
}

/* Waits until fd takes more data (a non-blocking stdout or pipe). */
static int wait_writable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	for (;;) {
		if (poll(&pfd, 1, -1) >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* The only writer to the fd: one write() for the whole block, continued
 * after short writes.  On failure the file is cut back to the last whole
 * block when possible; otherwise the error sticks. */
static int write_block(nc_pcapng_t *w, const uint8_t *data, size_t len)
{
	size_t done = 0;
	int r;

	if (w->error != 0)
		return w->error;
	while (done < len) {
		ssize_t n = write(w->fd, data + done, len - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			r = wait_writable(w->fd);
			if (r < 0)
				goto fail;
			continue;
		}
		r = n < 0 ? -errno : -EIO;
		goto fail;
	}
	w->offset += (off_t)len;
	return 0;

fail:
	if (done == 0)
		return r; /* nothing reached the file: still on a block boundary */
	if (w->can_truncate && ftruncate(w->fd, w->offset) == 0 &&
	    lseek(w->fd, w->offset, SEEK_SET) == w->offset)
		return r;
	w->error = r;
	return r;
}

static int write_shb(nc_pcapng_t *w, const char *os, const char *appl)
{
	size_t os_len = bounded_strlen(os, NC_PCAPNG_NAME_MAX);
	size_t appl_len = bounded_strlen(appl, NC_PCAPNG_NAME_MAX);
	size_t opts = str_opt_size(os_len) + str_opt_size(appl_len);
	struct builder b;
	int r;

	r = block_begin(w, &b, BT_SHB, 8 + 16 + opts + (opts ? 4 : 0) + 4);
	if (r < 0)
		return r;
	put_u32(&b, BYTE_ORDER_MAGIC);
	put_u16(&b, 1); /* major */
	put_u16(&b, 0); /* minor */
	put_u64(&b, UINT64_MAX); /* section length: -1, not known */
	put_str_option(&b, OPT_SHB_OS, os, os_len);
	put_str_option(&b, OPT_SHB_USERAPPL, appl, appl_len);
	block_end(&b, opts != 0);
	return write_block(w, b.p, b.len);
}

static int write_pcap_header(nc_pcapng_t *w, int linktype, uint32_t snaplen)
{
	struct builder b;
	int r;

	r = block_reserve(w, &b, PCAP_HEADER_LEN);
	if (r < 0)
		return r;
	put_u32(&b, PCAP_MAGIC_NS);
	put_u16(&b, 2); /* version 2.4 */
	put_u16(&b, 4);
	put_u32(&b, 0); /* thiszone */
	put_u32(&b, 0); /* sigfigs */
	put_u32(&b, snaplen);
	put_u32(&b, (uint32_t)linktype);
	return write_block(w, b.p, b.len);
}

int nc_pcapng_open_fd(int fd, nc_pcapng_format_t format, const char *os, const char *appl,
		      nc_pcapng_t **ret_writer)
{
	nc_pcapng_t *w;
	struct stat st;
	int flags, r;

	if (ret_writer == NULL)
		return -EINVAL;
	*ret_writer = NULL;
	if (fd < 0)
		return -EBADF;
	if (format != NC_PCAPNG_FORMAT_PCAPNG && format != NC_PCAPNG_FORMAT_PCAP)
		return -EINVAL;

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->fd = fd;
	w->format = format;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0) {
		r = -errno;
		goto fail;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && !(flags & O_APPEND)) {
		w->offset = lseek(fd, 0, SEEK_CUR);
		w->can_truncate = w->offset >= 0;
		if (!w->can_truncate)
			w->offset = 0;
	}

	if (format == NC_PCAPNG_FORMAT_PCAPNG) {
		r = write_shb(w, os, appl);
		if (r < 0)
			goto fail;
	}
	*ret_writer = w;
	return 0;

fail:
	nc_pcapng_free(w);
	return r;
}

int nc_pcapng_open(const char *path, int mode, nc_pcapng_format_t format, const char *os,
		   const char *appl, nc_pcapng_t **ret_writer)
{
	int fd, r;

	if (ret_writer == NULL)
		return -EINVAL;
	*ret_writer = NULL;
	if (path == NULL || (mode & ~07777) != 0)
		return -EINVAL;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, (mode_t)mode);
	if (fd < 0)
		return -errno;
	r = nc_pcapng_open_fd(fd, format, os, appl, ret_writer);
	if (r < 0) {
		close(fd);
		return r;
	}
	(*ret_writer)->owns_fd = true;
	return 0;
}

int nc_pcapng_add_interface(nc_pcapng_t *w, const char *name, const char *description,
			    int linktype, uint32_t snaplen)
{
	size_t name_len, desc_len, opts;
	struct builder b;
	uint8_t tsresol = TSRESOL_NS;
	int r;

	if (w == NULL || linktype < 0 || linktype > 0xFFFF || snaplen > NC_PCAPNG_SNAPLEN_MAX)
		return -EINVAL;
	if (w->error != 0)
		return w->error;
	if (w->n_interfaces >= NC_PCAPNG_INTERFACES_MAX)
		return -E2BIG;
	if (snaplen == 0)
		snaplen = NC_PCAPNG_SNAPLEN_MAX;

	if (w->n_interfaces == w->cap_interfaces) {
		uint32_t cap = w->cap_interfaces ? w->cap_interfaces * 2 : 4;
		struct interface *p;

		if (cap > NC_PCAPNG_INTERFACES_MAX)
			cap = NC_PCAPNG_INTERFACES_MAX;
		p = realloc(w->interfaces, cap * sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		w->interfaces = p;
		w->cap_interfaces = cap;
	}

	if (w->format == NC_PCAPNG_FORMAT_PCAP) {
		if (!w->pcap_header_written) {
			r = write_pcap_header(w, linktype, snaplen);
			if (r < 0)
				return r;
			w->pcap_header_written = true;
			w->pcap_linktype = linktype;
			w->pcap_snaplen = snaplen;
		}
	} else {
		name_len = bounded_strlen(name, NC_PCAPNG_NAME_MAX);
		desc_len = bounded_strlen(description, NC_PCAPNG_NAME_MAX);
		opts = str_opt_size(name_len) + str_opt_size(desc_len) + 4 + 4;

		r = block_begin(w, &b, BT_IDB, 8 + 8 + opts + 4 + 4);
		if (r < 0)
			return r;
		put_u16(&b, (uint16_t)linktype);
		put_u16(&b, 0); /* reserved */
		put_u32(&b, snaplen);
		put_str_option(&b, OPT_IF_NAME, name, name_len);
		put_str_option(&b, OPT_IF_DESCRIPTION, description, desc_len);
		put_option(&b, OPT_IF_TSRESOL, &tsresol, 1);
		block_end(&b, true);
		r = write_block(w, b.p, b.len);
		if (r < 0)
			return r;
	}

	w->interfaces[w->n_interfaces] = (struct interface){ .linktype = linktype, .snaplen = snaplen };
	return (int)w->n_interfaces++;
}

static int write_pcap_record(nc_pcapng_t *w, const struct interface *iface, uint64_t ts_ns,
			     const uint8_t *data, uint32_t caplen, uint32_t origlen)
{
	struct builder b;
	int r;

	if (iface->linktype != w->pcap_linktype || caplen > w->pcap_snaplen)
		return -EINVAL;
	r = block_reserve(w, &b, PCAP_RECORD_LEN + (size_t)caplen);
	if (r < 0)
		return r;
	put_u32(&b, (uint32_t)(ts_ns / 1000000000u));
	put_u32(&b, (uint32_t)(ts_ns % 1000000000u));
	put_u32(&b, caplen);
	put_u32(&b, origlen);
	put(&b, data, caplen);
	return write_block(w, b.p, b.len);
}

int nc_pcapng_write_packet(nc_pcapng_t *w, uint32_t if_id, uint64_t ts_ns, const uint8_t *data,
			   uint32_t caplen, uint32_t origlen, int direction, const char *comment)
{
	const struct interface *iface;
	size_t comment_len, opts;
	struct builder b;
	int r;

	if (w == NULL || if_id >= w->n_interfaces || (data == NULL && caplen > 0) ||
	    caplen > origlen || direction < NC_PCAPNG_DIRECTION_UNKNOWN ||
	    direction > NC_PCAPNG_DIRECTION_OUTBOUND)
		return -EINVAL;
	iface = &w->interfaces[if_id];
	if (caplen > iface->snaplen)
		return -EINVAL;
	if (w->error != 0)
		return w->error;
	if (caplen == 0)
		data = (const uint8_t *)""; /* memcpy of 0 bytes still wants a pointer */

	if (w->format == NC_PCAPNG_FORMAT_PCAP)
		return write_pcap_record(w, iface, ts_ns, data, caplen, origlen);

	comment_len = bounded_strlen(comment, NC_PCAPNG_COMMENT_MAX);
	opts = str_opt_size(comment_len) + (direction != NC_PCAPNG_DIRECTION_UNKNOWN ? 8 : 0);

	r = block_begin(w, &b, BT_EPB, 8 + 20 + pad4(caplen) + opts + (opts ? 4 : 0) + 4);
	if (r < 0)
		return r;
	put_u32(&b, if_id);
	put_u32(&b, (uint32_t)(ts_ns >> 32)); /* units of if_tsresol: ns */
	put_u32(&b, (uint32_t)ts_ns);
	put_u32(&b, caplen);
	put_u32(&b, origlen);
	put(&b, data, caplen);
	put_padding(&b);
	put_str_option(&b, OPT_COMMENT, comment, comment_len);
	if (direction != NC_PCAPNG_DIRECTION_UNKNOWN) {
		uint32_t flags = (uint32_t)direction; /* bits 0-1: 01 in, 10 out */
		put_option(&b, OPT_EPB_FLAGS, &flags, sizeof(flags));
	}
	block_end(&b, opts != 0);
	return write_block(w, b.p, b.len);
}

int nc_pcapng_write_stats(nc_pcapng_t *w, uint32_t if_id, uint64_t ts_ns, uint64_t received,
			  uint64_t dropped)
{
	struct builder b;
	int r;

	if (w == NULL || if_id >= w->n_interfaces)
		return -EINVAL;
	if (w->error != 0)
		return w->error;
	if (w->format == NC_PCAPNG_FORMAT_PCAP)
		return 0; /* classic pcap has nowhere to put them */

	r = block_begin(w, &b, BT_ISB, 8 + 12 + 12 + 12 + 4 + 4);
	if (r < 0)
		return r;
	put_u32(&b, if_id);
	put_u32(&b, (uint32_t)(ts_ns >> 32));
	put_u32(&b, (uint32_t)ts_ns);
	put_option(&b, OPT_ISB_IFRECV, &received, sizeof(received));
	put_option(&b, OPT_ISB_IFDROP, &dropped, sizeof(dropped));
	block_end(&b, true);
	return write_block(w, b.p, b.len);
}

int nc_pcapng_flush(nc_pcapng_t *w)
{
	struct stat st;

	if (w == NULL)
		return -EINVAL;
	if (w->error != 0)
		return w->error;
	if (fstat(w->fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) && fdatasync(w->fd) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

void nc_pcapng_free(nc_pcapng_t *w)
{
	if (w == NULL)
		return;
	(void)nc_pcapng_flush(w);
	if (w->owns_fd)
		close(w->fd);
	free(w->interfaces);
	free(w->block);
	free(w);
}
