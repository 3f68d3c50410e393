/* Unit tests for capture/pcapng.c: byte layout of every block, bounds,
 * crash-safety (whole blocks only) and classic pcap.  Files are memfds or
 * O_TMPFILE files in /tmp, so nothing is left behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "netcheck/pcapng.h"
#include "netcheck/testing.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 1u
#define BT_ISB 5u
#define BT_EPB 6u

#define LINKTYPE_ETHERNET 1
#define LINKTYPE_LINUX_SLL 113

#define TS_NS UINT64_C(1700000000123456789)

/* The file under test, read back whole.  Big enough for every test. */
static uint8_t file_buf[1 << 20];

struct block_view {
	const uint8_t *p;
	uint32_t type;
	uint32_t len;
};

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static int new_memfd(void)
{
	int fd = memfd_create("test-pcapng", MFD_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* Reads the whole file into file_buf; returns its length. */
static size_t slurp(int fd)
{
	struct stat st;
	size_t done = 0;

	assert_int_equal(fstat(fd, &st), 0);
	assert_true((size_t)st.st_size <= sizeof(file_buf));
	while (done < (size_t)st.st_size) {
		ssize_t n = pread(fd, file_buf + done, (size_t)st.st_size - done, (off_t)done);
		assert_true(n > 0);
		done += (size_t)n;
	}
	return done;
}

/* Splits a pcapng byte stream into blocks, checking that every block is
 * at least 12 bytes, a multiple of 4, repeats its length at its end, and
 * that the blocks tile the stream exactly.  Returns the block count, or
 * -1 on the first violation.  Plain C (no cmocka) so a forked child can
 * use it too. */
static int walk_blocks(const uint8_t *buf, size_t len, struct block_view *out, size_t max)
{
	size_t off = 0;
	int n = 0;

	while (off < len) {
		uint32_t blen;

		if (len - off < 12)
			return -1;
		blen = rd32(buf + off + 4);
		if (blen < 12 || blen % 4 != 0 || blen > len - off)
			return -1;
		if (rd32(buf + off + blen - 4) != blen)
			return -1;
		if (out != NULL && (size_t)n < max)
			out[n] = (struct block_view){ buf + off, rd32(buf + off), blen };
		off += blen;
		n++;
	}
	return n;
}

/* Walks the options of a block whose fixed part (after type and length)
 * is fixed_len bytes; checks 32-bit padding is zero and the list ends with
 * opt_endofopt right before the trailer.  Returns the value of option
 * code (first occurrence) and its length, or NULL. */
static const uint8_t *find_option(const struct block_view *b, size_t fixed_len, uint16_t code,
				  uint16_t *ret_len)
{
	const uint8_t *p = b->p + 8 + fixed_len;
	const uint8_t *end = b->p + b->len - 4;
	const uint8_t *found = NULL;

	assert_true(p <= end);
	if (p == end)
		return NULL; /* no options at all */
	for (;;) {
		uint16_t ocode, olen;

		assert_true(end - p >= 4);
		ocode = rd16(p);
		olen = rd16(p + 2);
		if (ocode == 0) {
			assert_int_equal(olen, 0);
			assert_ptr_equal(p + 4, end);
			return found;
		}
		assert_true((size_t)(end - p) >= 4 + pad4(olen));
		for (size_t i = olen; i < pad4(olen); i++)
			assert_int_equal(p[4 + i], 0);
		if (ocode == code && found == NULL) {
			found = p + 4;
			*ret_len = olen;
		}
		p += 4 + pad4(olen);
	}
}

static void assert_str_option(const struct block_view *b, size_t fixed_len, uint16_t code,
			      const char *want)
{
	uint16_t len = 0;
	const uint8_t *v = find_option(b, fixed_len, code, &len);

	assert_non_null(v);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(v, want, len);
}

static void test_shb_layout(void **state)
{
	struct block_view blk[2];
	nc_pcapng_t *w = NULL;
	size_t len;
	int fd = new_memfd();

	(void)state;
	assert_int_equal(nc_pcapng_open_fd(fd, NC_PCAPNG_FORMAT_PCAPNG, "Linux 6.1.0",
					   "netcheck 0.1.0", &w), 0);
	assert_non_null(w);
	len = slurp(fd); /* written at open, before any interface */
	assert_int_equal(walk_blocks(file_buf, len, blk, 2), 1);

	assert_memory_equal(file_buf, "\x0a\x0d\x0d\x0a", 4);
	assert_int_equal(blk[0].type, BT_SHB);
	/* 8 + 16 + os (4+12) + appl (4+16) + endofopt 4 + trailer 4 */
	assert_int_equal(blk[0].len, 68);
	assert_int_equal(rd32(file_buf + 8), 0x1A2B3C4Du);
	assert_int_equal(rd16(file_buf + 12), 1);
	assert_int_equal(rd16(file_buf + 14), 0);
	assert_true(rd64(file_buf + 16) == UINT64_MAX); /* section length -1 */
	assert_str_option(&blk[0], 16, 3, "Linux 6.1.0");
	assert_str_option(&blk[0], 16, 4, "netcheck 0.1.0");

	nc_pcapng_free(w);
	/* free does not close a caller's fd, and adds nothing */
	assert_int_equal(slurp(fd), len);
	close(fd);

	/* no strings: no options, not even opt_endofopt */
	fd = new_memfd();
	assert_int_equal(nc_pcapng_open_fd(fd, NC_PCAPNG_FORMAT_PCAPNG, NULL, NULL, &w), 0);
	nc_pcapng_free(w);
	len = slurp(fd);
	assert_int_equal(len, 28);
	assert_int_equal(rd32(file_buf + 4), 28);
	assert_int_equal(rd32(file_buf + 24), 28);
	close(fd);
}

/* Strings of length 0..5 as if_name and opt_comment: length field is the
 * unpadded length, value padded with zeros to 32 bits, "" left out. */
static void test_option_padding(void **state)
{
	static const char *const strings[] = { "", "a", "ab", "abc", "abcd", "abcde" };
	struct block_view blk[16];
	nc_pcapng_t *w = NULL;
	size_t len;
	int fd = new_memfd(), n;

	(void)state;
	assert_int_equal(nc_pcapng_open_fd(fd, NC_PCAPNG_FORMAT_PCAPNG, NULL, NULL, &w), 0);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(nc_pcapng_add_interface(w, strings[i], NULL, LINKTYPE_ETHERNET, 0),
				 (int)i);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(nc_pcapng_write_packet(w, 0, TS_NS, NULL, 0, 0, 0, strings[i]), 0);
	nc_pcapng_free(w);
	len = slurp(fd);
	n = walk_blocks(file_buf, len, blk, 16);
	assert_int_equal(n, 13);

	for (size_t i = 0; i < 6; i++) {
		const struct block_view *idb = &blk[1 + i], *epb = &blk[7 + i];
		size_t slen = strlen(strings[i]);
		size_t opt = slen ? 4 + pad4(slen) : 0;
		uint16_t olen = 0xFFFF;
		const uint8_t *v;

		assert_int_equal(idb->type, BT_IDB);
		/* 8 + 8 + name + tsresol 8 + endofopt 4 + trailer 4 */
		assert_int_equal(idb->len, 32 + opt);
		v = find_option(idb, 8, 2, &olen);
		if (slen == 0) {
			assert_null(v);
		} else {
			assert_non_null(v);
			assert_int_equal(olen, slen);
			assert_memory_equal(v, strings[i], slen);
		}

		assert_int_equal(epb->type, BT_EPB);
		/* 8 + 20 + (comment + endofopt) + trailer 4 */
		assert_int_equal(epb->len, 32 + (opt ? opt + 4 : 0));
		olen = 0xFFFF;
		v = find_option(epb, 20, 1, &olen);
		if (slen == 0) {
			assert_null(v);
		} else {
			assert_non_null(v);
			assert_int_equal(olen, slen);
			assert_memory_equal(v, strings[i], slen);
		}
	}
	close(fd);
}

static void test_idb_fields(void **state)
{
	struct block_view blk[4];
	nc_pcapng_t *w = NULL;
	uint16_t olen = 0;
	const uint8_t *v;
	size_t len;
	int fd = new_memfd();

	(void)state;
	assert_int_equal(nc_pcapng_open_fd(fd, NC_PCAPNG_FORMAT_PCAPNG, "Linux", "t", &w), 0);
	assert_int_equal(nc_pcapng_add_interface(w, "lo", "loopback", LINKTYPE_ETHERNET, 65535), 0);
	assert_int_equal(nc_pcapng_add_interface(w, "any", NULL, LINKTYPE_LINUX_SLL, 0), 1);
	/* bad arguments write nothing and take no id */
	assert_int_equal(nc_pcapng_add_interface(w, "x", NULL, -1, 0), -EINVAL);
	assert_int_equal(nc_pcapng_add_interface(w, "x", NULL, 0x10000, 0), -EINVAL);
	assert_int_equal(nc_pcapng_add_interface(w, "x", NULL, 1, NC_PCAPNG_SNAPLEN_MAX + 1),
			 -EINVAL);
	assert_int_equal(nc_pcapng_add_interface(NULL, "x", NULL, 1, 0), -EINVAL);
	nc_pcapng_free(w);
	len = slurp(fd);
	assert_int_equal(walk_blocks(file_buf, len, blk, 4), 3);

	assert_int_equal(blk[1].type, BT_IDB);
	assert_int_equal(rd16(blk[1].p + 8), LINKTYPE_ETHERNET);
	assert_int_equal(rd16(blk[1].p + 10), 0); /* reserved */
	assert_int_equal(rd32(blk[1].p + 12), 65535);
	assert_str_option(&blk[1], 8, 2, "lo");
	assert_str_option(&blk[1], 8, 3, "loopback");
	v = find_option(&blk[1], 8, 9, &olen);
	assert_non_null(v);
	assert_int_equal(olen, 1);
	assert_int_equal(v[0], 9); /* 10^-9: nanoseconds */

	assert_int_equal(rd16(blk[2].p + 8), LINKTYPE_LINUX_SLL);
	assert_int_equal(rd32(blk[2].p + 12), NC_PCAPNG_SNAPLEN_MAX); /* 0 = no limit */
	assert_str_option(&blk[2], 8, 2, "any");
	assert_null(find_option(&blk[2], 8, 3, &olen));
	v = find_option(&blk[2], 8, 9, &olen);
	assert_non_null(v);
	assert_int_equal(v[0], 9);
	close(fd);
}

static void test_epb_fields(void **state)
{
	static const uint8_t data[5] = { 0xde, 0xad, 0xbe, 0xef, 0x42 };
	struct block_view blk[4];
	nc_pcapng_t *w = NULL;
	uint16_t olen = 0;
	const uint8_t *v;
	size_t len;
	int fd = new_memfd();

	(void)state;
	assert_int_equal(nc_pcapng_open_fd(fd, NC_PCAPNG_FORMAT_PCAPNG, NULL, NULL, &w), 0);
	assert_int_equal(nc_pcapng_add_interface(w, "lo", NULL, LINKTYPE_ETHERNET, 64), 0);
	assert_int_equal(nc_pcapng_write_packet(w, 0, TS_NS, data, 5, 60,
						NC_PCAPNG_DIRECTION_OUTBOUND,
						"path=published-loopback leg=client"), 0);
	assert_int_equal(nc_pcapng_write_packet(w, 0, TS_NS + 1, data, 4, 4,
						NC_PCAPNG_DIRECTION_INBOUND, NULL), 0);

	/* rejected without writing */
	assert_int_equal(nc_pcapng_write_packet(w, 1, TS_NS, data, 5, 5, 0, NULL), -EINVAL);
	assert_int_equal(nc_pcapng_write_packet(w, 0, TS_NS, data, 5, 4, 0, NULL), -EINVAL);
	assert_int_equal(nc_pcapng_write_packet(w, 0, TS_NS, data, 5, 5, 3, NULL), -EINVAL);
	assert_int_equal(nc_pcapng_write_packet(w, 0, TS_NS, data, 5, 5, -1, NULL), -EINVAL);
	assert_int_equal(nc_pcapng_write_packet(w, 0, TS_NS, NULL, 5, 5, 0, NULL), -EINVAL);
	assert_int_equal(nc_pcapng_write_packet(w, 0, TS_NS, file_buf, 65, 100, 0, NULL),
			 -EINVAL); /* above the interface's snaplen */
	assert_int_equal(nc_pcapng_write_packet(NULL, 0, TS_NS, data, 5, 5, 0, NULL), -EINVAL);
	nc_pcapng_free(w);

	len = slurp(fd);
	assert_int_equal(walk_blocks(file_buf, len, blk, 4), 4);

	assert_int_equal(blk[2].type, BT_EPB);
	assert_int_equal(rd32(blk[2].p + 8), 0); /* interface id */
	assert_int_equal(rd32(blk[2].p + 12), (uint32_t)(TS_NS >> 32));
	assert_int_equal(rd32(blk[2].p + 16), (uint32_t)(TS_NS & 0xFFFFFFFFu));
	assert_true(((uint64_t)rd32(blk[2].p + 12) << 32 | rd32(blk[2].p + 16)) == TS_NS);
	assert_int_equal(rd32(blk[2].p + 20), 5);  /* captured */
	assert_int_equal(rd32(blk[2].p + 24), 60); /* original */
	assert_memory_equal(blk[2].p + 28, data, 5);
	assert_memory_equal(blk[2].p + 33, "\0\0\0", 3); /* data padded to 8 */
	assert_str_option(&blk[2], 20 + 8, 1, "path=published-loopback leg=client");
	v = find_option(&blk[2], 20 + 8, 2, &olen);
	assert_non_null(v);
	assert_int_equal(olen, 4);
	assert_int_equal(rd32(v), 2); /* outbound */
	/* 8 + 20 + 8 + comment (4+36) + flags (4+4) + endofopt 4 + trailer 4 */
	assert_int_equal(blk[2].len, 92);

	assert_int_equal(rd32(blk[3].p + 16), (uint32_t)((TS_NS + 1) & 0xFFFFFFFFu));
	assert_int_equal(rd32(blk[3].p + 20), 4);
	assert_memory_equal(blk[3].p + 28, data, 4); /* already aligned: no padding */
	assert_null(find_option(&blk[3], 20 + 4, 1, &olen));
	v = find_option(&blk[3], 20 + 4, 2, &olen);
	assert_non_null(v);
	assert_int_equal(rd32(v), 1); /* inbound */
	assert_int_equal(blk[3].len, 8 + 20 + 4 + 8 + 4 + 4);
	close(fd);
}

static void test_isb_fields(void **state)
{
	struct block_view blk[4];
	nc_pcapng_t *w = NULL;
	uint16_t olen = 0;
	const uint8_t *v;
	size_t len;
	int fd = new_memfd();

	(void)state;
	assert_int_equal(nc_pcapng_open_fd(fd, NC_PCAPNG_FORMAT_PCAPNG, NULL, NULL, &w), 0);
	assert_int_equal(nc_pcapng_write_stats(w, 0, TS_NS, 1, 1), -EINVAL); /* no interface */
	assert_int_equal(nc_pcapng_add_interface(w, "lo", NULL, LINKTYPE_ETHERNET, 0), 0);
	assert_int_equal(nc_pcapng_write_stats(w, 0, TS_NS, UINT64_C(5000000000), 7), 0);
	assert_int_equal(nc_pcapng_flush(w), 0);
	nc_pcapng_free(w);
	len = slurp(fd);
	assert_int_equal(walk_blocks(file_buf, len, blk, 4), 3);

	assert_int_equal(blk[2].type, BT_ISB);
	assert_int_equal(blk[2].len, 8 + 12 + 12 + 12 + 4 + 4);
	assert_int_equal(rd32(blk[2].p + 8), 0);
	assert_true(((uint64_t)rd32(blk[2].p + 12) << 32 | rd32(blk[2].p + 16)) == TS_NS);
	v = find_option(&blk[2], 12, 4, &olen); /* isb_ifrecv */
	assert_non_null(v);
	assert_int_equal(olen, 8);
	assert_true(rd64(v) == UINT64_C(5000000000));
	v = find_option(&blk[2], 12, 5, &olen); /* isb_ifdrop */
	assert_non_null(v);
	assert_int_equal(olen, 8);
	assert_true(rd64(v) == 7);
	close(fd);
}

/* A mixed file: every block's trailer equals its header length and the
 * blocks tile the file. */
static void test_walk_trailers(void **state)
{
	struct block_view blk[64];
	nc_pcapng_t *w = NULL;
	size_t len;
	int fd = new_memfd(), n;

	(void)state;
	assert_int_equal(nc_pcapng_open_fd(fd, NC_PCAPNG_FORMAT_PCAPNG, "Linux", "netcheck 0.1.0",
					   &w), 0);
	assert_int_equal(nc_pcapng_add_interface(w, "lo", NULL, LINKTYPE_ETHERNET, 0), 0);
	assert_int_equal(nc_pcapng_add_interface(w, "veth1a2b3c4", "host veth of container 1a2b3c",
						 LINKTYPE_ETHERNET, 262144), 1);
	for (uint32_t i = 0; i < 40; i++) {
		char comment[32];

		memset(file_buf, (int)i, 64);
		snprintf(comment, sizeof(comment), "%.*s", (int)(i % 7), "leg=abc");
		assert_int_equal(nc_pcapng_write_packet(w, i % 2, TS_NS + i, file_buf, i, 100,
							(int)(i % 3), comment), 0);
	}
	assert_int_equal(nc_pcapng_write_stats(w, 0, TS_NS + 100, 20, 0), 0);
	assert_int_equal(nc_pcapng_write_stats(w, 1, TS_NS + 100, 20, 1), 0);
	nc_pcapng_free(w);

	len = slurp(fd);
	n = walk_blocks(file_buf, len, blk, 64);
	assert_int_equal(n, 1 + 2 + 40 + 2);
	for (int i = 0; i < n; i++) {
		assert_int_equal(rd32(blk[i].p + 4), blk[i].len);
		assert_int_equal(rd32(blk[i].p + blk[i].len - 4), blk[i].len);
	}
	for (int i = 3; i < 43; i++) {
		uint32_t caplen = rd32(blk[i].p + 20);

		assert_int_equal(blk[i].type, BT_EPB);
		assert_int_equal(caplen, (uint32_t)(i - 3));
		for (size_t k = caplen; k < pad4(caplen); k++)
			assert_int_equal(blk[i].p[28 + k], 0);
	}
	close(fd);
}

static void test_pcap_classic(void **state)
{
	static const uint8_t data[5] = { 1, 2, 3, 4, 5 };
	nc_pcapng_t *w = NULL;
	size_t len;
	int fd = new_memfd();

	(void)state;
	assert_int_equal(nc_pcapng_open_fd(fd, NC_PCAPNG_FORMAT_PCAP, "Linux", "netcheck", &w), 0);
	assert_int_equal(slurp(fd), 0); /* header waits for the link type */
	assert_int_equal(nc_pcapng_add_interface(w, "lo", "loopback", LINKTYPE_ETHERNET, 65535), 0);
	assert_int_equal(nc_pcapng_add_interface(w, "any", NULL, LINKTYPE_LINUX_SLL, 65535), 1);
	assert_int_equal(nc_pcapng_add_interface(w, "veth0", NULL, LINKTYPE_ETHERNET, 0), 2);
	assert_int_equal(nc_pcapng_write_packet(w, 0, TS_NS, data, 5, 60,
						NC_PCAPNG_DIRECTION_OUTBOUND, "dropped"), 0);
	/* another link type cannot share the stream */
	assert_int_equal(nc_pcapng_write_packet(w, 1, TS_NS, data, 5, 5, 0, NULL), -EINVAL);
	/* same link type: fine, but not beyond the header's snaplen */
	assert_int_equal(nc_pcapng_write_packet(w, 2, TS_NS + 1, data, 3, 3, 0, NULL), 0);
	memset(file_buf, 0, 70000);
	assert_int_equal(nc_pcapng_write_packet(w, 2, TS_NS, file_buf, 70000, 70000, 0, NULL),
			 -EINVAL);
	assert_int_equal(nc_pcapng_write_stats(w, 0, TS_NS, 10, 1), 0); /* nowhere to go */
	nc_pcapng_free(w);

	len = slurp(fd);
	assert_int_equal(len, 24 + 16 + 5 + 16 + 3);
	assert_int_equal(rd32(file_buf), 0xA1B23C4Du);
	assert_int_equal(rd16(file_buf + 4), 2);
	assert_int_equal(rd16(file_buf + 6), 4);
	assert_int_equal(rd32(file_buf + 8), 0);
	assert_int_equal(rd32(file_buf + 12), 0);
	assert_int_equal(rd32(file_buf + 16), 65535);
	assert_int_equal(rd32(file_buf + 20), LINKTYPE_ETHERNET);

	assert_int_equal(rd32(file_buf + 24), 1700000000u);
	assert_int_equal(rd32(file_buf + 28), 123456789u);
	assert_int_equal(rd32(file_buf + 32), 5);
	assert_int_equal(rd32(file_buf + 36), 60);
	assert_memory_equal(file_buf + 40, data, 5);
	assert_int_equal(rd32(file_buf + 45 + 4), 123456790u);
	assert_int_equal(rd32(file_buf + 45 + 8), 3);
	assert_memory_equal(file_buf + 45 + 16, data, 3);
	close(fd);
}

static void test_bounds(void **state)
{
	char *comment = malloc(2001), *name = malloc(301);
	struct block_view blk[8];
	nc_pcapng_t *w = NULL;
	uint16_t olen = 0;
	const uint8_t *v;
	size_t len;
	int fd = new_memfd();

	(void)state;
	assert_non_null(comment);
	assert_non_null(name);
	memset(comment, 'c', 2000);
	comment[2000] = '\0';
	memset(name, 'n', 300);
	name[300] = '\0';

	assert_int_equal(nc_pcapng_open_fd(fd, NC_PCAPNG_FORMAT_PCAPNG, name, name, &w), 0);
	assert_int_equal(nc_pcapng_add_interface(w, name, name, LINKTYPE_ETHERNET, 0), 0);
	assert_int_equal(nc_pcapng_write_packet(w, 0, TS_NS, NULL, 0, 0, 0, comment), 0);
	/* a two-byte character straddling the limit is dropped whole */
	memcpy(comment + NC_PCAPNG_COMMENT_MAX - 1, "\xc3\xa9", 2);
	assert_int_equal(nc_pcapng_write_packet(w, 0, TS_NS, NULL, 0, 0, 0, comment), 0);
	memcpy(name + NC_PCAPNG_NAME_MAX - 2, "\xe2\x86\x92", 3); /* U+2192, 3 bytes */
	assert_int_equal(nc_pcapng_add_interface(w, name, NULL, LINKTYPE_ETHERNET, 0), 1);
	nc_pcapng_free(w);

	len = slurp(fd);
	assert_int_equal(walk_blocks(file_buf, len, blk, 8), 5);
	v = find_option(&blk[0], 16, 3, &olen);
	assert_non_null(v);
	assert_int_equal(olen, NC_PCAPNG_NAME_MAX);
	v = find_option(&blk[1], 8, 2, &olen);
	assert_non_null(v);
	assert_int_equal(olen, NC_PCAPNG_NAME_MAX);
	assert_int_equal(v[NC_PCAPNG_NAME_MAX - 1], 'n');
	v = find_option(&blk[1], 8, 3, &olen);
	assert_int_equal(olen, NC_PCAPNG_NAME_MAX);
	v = find_option(&blk[2], 20, 1, &olen);
	assert_non_null(v);
	assert_int_equal(olen, NC_PCAPNG_COMMENT_MAX);
	v = find_option(&blk[3], 20, 1, &olen);
	assert_non_null(v);
	assert_int_equal(olen, NC_PCAPNG_COMMENT_MAX - 1);
	assert_int_equal(v[olen - 1], 'c');
	v = find_option(&blk[4], 8, 2, &olen);
	assert_non_null(v);
	assert_int_equal(olen, NC_PCAPNG_NAME_MAX - 2);

	free(comment);
	free(name);
	close(fd);
}

static void test_null_and_bad_args(void **state)
{
	nc_pcapng_t *w = (nc_pcapng_t *)&w; /* must be reset to NULL on failure */

	(void)state;
	nc_pcapng_free(NULL);
	assert_int_equal(nc_pcapng_flush(NULL), -EINVAL);
	assert_int_equal(nc_pcapng_open_fd(-1, NC_PCAPNG_FORMAT_PCAPNG, NULL, NULL, &w), -EBADF);
	assert_null(w);
	assert_int_equal(nc_pcapng_open_fd(1, NC_PCAPNG_FORMAT_PCAPNG, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(nc_pcapng_open_fd(1, (nc_pcapng_format_t)7, NULL, NULL, &w), -EINVAL);
	assert_int_equal(nc_pcapng_open(NULL, 0600, NC_PCAPNG_FORMAT_PCAPNG, NULL, NULL, &w),
			 -EINVAL);
	assert_int_equal(nc_pcapng_open("/tmp/x", 010000000, NC_PCAPNG_FORMAT_PCAPNG, NULL, NULL,
					&w), -EINVAL);
	assert_int_equal(nc_pcapng_open("/nonexistent-dir/x.pcapng", 0600, NC_PCAPNG_FORMAT_PCAPNG,
					NULL, NULL, &w), -ENOENT);
	assert_null(w);
}

/* Whether some fd of ours points at path, and has FD_CLOEXEC. */
static int fd_cloexec_for(const char *path)
{
	char link[PATH_MAX], target[PATH_MAX];
	struct dirent *de;
	int found = -1;
	DIR *d = opendir("/proc/self/fd");

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, path) == 0)
			found = (fcntl(atoi(de->d_name), F_GETFD) & FD_CLOEXEC) != 0;
	}
	closedir(d);
	return found;
}

static void test_open_path(void **state)
{
	char dir[] = "/tmp/test-pcapng-XXXXXX", path[64];
	nc_pcapng_t *w = NULL;
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.pcapng", dir);
	assert_int_equal(nc_pcapng_open(path, 0600, NC_PCAPNG_FORMAT_PCAPNG, "Linux",
					"netcheck 0.1.0", &w), 0);
	assert_int_equal(fd_cloexec_for(path), 1);
	assert_int_equal(nc_pcapng_add_interface(w, "lo", NULL, LINKTYPE_ETHERNET, 0), 0);
	nc_pcapng_free(w);
	assert_int_equal(fd_cloexec_for(path), -1); /* closed by free */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* O_TRUNC: reopening an existing capture starts it afresh */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, 0, SEEK_END), st.st_size);
	assert_int_equal(write(fd, file_buf, 4096), 4096);
	close(fd);
	assert_int_equal(nc_pcapng_open(path, 0600, NC_PCAPNG_FORMAT_PCAPNG, NULL, NULL, &w), 0);
	nc_pcapng_free(w);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 28);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* A write that fails after part of a block (file size limit) is cut back
 * to the last whole block, and the writer stays usable. */
static void test_partial_write_cut_back(void **state)
{
	struct rlimit old, lim;
	struct block_view blk[8];
	void (*old_handler)(int);
	nc_pcapng_t *w = NULL;
	size_t good, len;
	int fd, r;

	(void)state;
	fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(nc_pcapng_open_fd(fd, NC_PCAPNG_FORMAT_PCAPNG, "Linux", "t", &w), 0);
	assert_int_equal(nc_pcapng_add_interface(w, "lo", NULL, LINKTYPE_ETHERNET, 0), 0);
	good = slurp(fd);

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = good + 10;
	old_handler = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	memset(file_buf, 0xAB, 200);
	r = nc_pcapng_write_packet(w, 0, TS_NS, file_buf, 200, 200, 0, "cut");
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_handler);
	assert_int_equal(r, -EFBIG);
	assert_int_equal(slurp(fd), good);

	/* not sticky: the file was cut back, so later blocks are fine */
	assert_int_equal(nc_pcapng_write_packet(w, 0, TS_NS, file_buf, 200, 200, 0, "ok"), 0);
	assert_int_equal(nc_pcapng_flush(w), 0);
	nc_pcapng_free(w);
	len = slurp(fd);
	assert_int_equal(walk_blocks(file_buf, len, blk, 8), 3);
	close(fd);
}

/* Reads a pipe to EOF (at most max bytes, then exits early).  With a
 * verdict_fd, writes '0' there when what it read is exactly 5 whole pcapng
 * blocks of total size want, else '1'.  Runs in a forked child: no cmocka,
 * and the verdict does not travel in the exit status, which valgrind
 * overrides when it counts the parent's still-reachable memory. */
static _Noreturn void pipe_reader(int rfd, int verdict_fd, size_t want, size_t max)
{
	char verdict = '0';

	size_t got = 0;

	usleep(20000); /* let the writer fill the pipe and hit EAGAIN */
	while (got < max) {
		ssize_t n = read(rfd, file_buf + got, max - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (verdict_fd < 0)
		_exit(0);
	if (got != want || walk_blocks(file_buf, got, NULL, 0) != 5) {
		fprintf(stderr, "pipe reader: got %zu bytes, want %zu, %d blocks\n", got, want,
			walk_blocks(file_buf, got, NULL, 0));
		verdict = '1';
	}
	if (write(verdict_fd, &verdict, 1) != 1)
		_exit(1);
	_exit(0);
}

/* Blocks larger than the pipe on a non-blocking fd: short writes and
 * EAGAIN are continued until each block is whole. */
static void test_short_writes_nonblocking_pipe(void **state)
{
	nc_pcapng_t *w = NULL;
	int fds[2], verdict[2], status;
	char result = 'x';
	size_t want;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	assert_int_equal(pipe2(verdict, O_CLOEXEC), 0);
	fcntl(fds[1], F_SETPIPE_SZ, 4096);
	/* SHB 28 + IDB 32 (if_tsresol) + 3 EPB (8+20+20000+4) */
	want = 28 + 32 + 3 * 20032;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[1]);
		close(verdict[0]);
		pipe_reader(fds[0], verdict[1], want, sizeof(file_buf));
	}
	close(fds[0]);
	close(verdict[1]);
	assert_int_equal(fcntl(fds[1], F_SETFL, O_NONBLOCK), 0);

	assert_int_equal(nc_pcapng_open_fd(fds[1], NC_PCAPNG_FORMAT_PCAPNG, NULL, NULL, &w), 0);
	assert_int_equal(nc_pcapng_add_interface(w, NULL, NULL, LINKTYPE_ETHERNET, 0), 0);
	memset(file_buf, 0x5A, 20000);
	for (int i = 0; i < 3; i++)
		assert_int_equal(nc_pcapng_write_packet(w, 0, TS_NS, file_buf, 20000, 20000, 0,
							NULL), 0);
	assert_int_equal(nc_pcapng_flush(w), 0); /* a pipe: nothing to sync */
	nc_pcapng_free(w);
	close(fds[1]);
	assert_int_equal(read(verdict[0], &result, 1), 1);
	close(verdict[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(result, '0');
}

/* The reader of a pipe goes away in the middle of a block: the pipe can't
 * be cut back, so the error sticks. */
static void test_sticky_error_on_pipe(void **state)
{
	void (*old_handler)(int);
	nc_pcapng_t *w = NULL;
	int fds[2], status;
	pid_t pid;

	(void)state;
	old_handler = signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	fcntl(fds[1], F_SETPIPE_SZ, 4096);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[1]);
		pipe_reader(fds[0], -1, 0, 28 + 32 + 5000);
	}
	close(fds[0]);

	assert_int_equal(nc_pcapng_open_fd(fds[1], NC_PCAPNG_FORMAT_PCAPNG, NULL, NULL, &w), 0);
	assert_int_equal(nc_pcapng_add_interface(w, NULL, NULL, LINKTYPE_ETHERNET, 0), 0);
	memset(file_buf, 0x5A, 100000);
	assert_int_equal(nc_pcapng_write_packet(w, 0, TS_NS, file_buf, 100000, 100000, 0, NULL),
			 -EPIPE);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* every later call reports the same error and writes nothing */
	assert_int_equal(nc_pcapng_write_stats(w, 0, TS_NS, 1, 0), -EPIPE);
	assert_int_equal(nc_pcapng_add_interface(w, NULL, NULL, LINKTYPE_ETHERNET, 0), -EPIPE);
	assert_int_equal(nc_pcapng_flush(w), -EPIPE);
	nc_pcapng_free(w);
	close(fds[1]);
	signal(SIGPIPE, old_handler);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shb_layout),
		cmocka_unit_test(test_option_padding),
		cmocka_unit_test(test_idb_fields),
		cmocka_unit_test(test_epb_fields),
		cmocka_unit_test(test_isb_fields),
		cmocka_unit_test(test_walk_trailers),
		cmocka_unit_test(test_pcap_classic),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_null_and_bad_args),
		cmocka_unit_test(test_open_path),
		cmocka_unit_test(test_partial_write_cut_back),
		cmocka_unit_test(test_short_writes_nonblocking_pipe),
		cmocka_unit_test(test_sticky_error_on_pipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
