/* Fuzz target: the pcapng / classic pcap writer (capture/pcapng.c), read back.
 *
 * Input: a little program for the writer.  Byte 0: bit 0 classic pcap,
 * bits 1-2 whether shb_os / shb_userappl are given, bits 3-4 how many junk
 * bytes precede the writer in the file (it must start at the fd's offset).
 * Then the strings, then up to MAX_OPS operations, each an opcode byte
 * (low two bits: 0 add_interface, 1 write_packet, 2 write_stats, 3 flush;
 * the high bits pick optional and invalid arguments) and its arguments;
 * packet data is the next caplen input bytes.  Strings are a 16-bit length
 * and that many bytes (embedded NULs and bad UTF-8 included).
 *
 * The file is a memfd.  The harness predicts from the API contract
 * (include/netcheck/pcapng.h) whether each call succeeds, then walks the
 * written file and checks the layout: every pcapng block length is a
 * multiple of 4 and at least 12, its trailing length equals its leading
 * length, options are well formed and end with opt_endofopt, blocks are
 * exactly the successful calls in order with the same contents, and the
 * blocks add up to the file size (for classic pcap: header + records).
 * Any violation is an abort(), which libFuzzer reports as a crash. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netcheck/pcapng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS 256
#define STR_MAX 1500 /* longer than NC_PCAPNG_COMMENT_MAX, to exercise the cut */

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_ISB 0x00000005u
#define BT_EPB 0x00000006u

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

typedef struct input {
	const uint8_t *p;
	size_t left;
} input_t;

static uint64_t take(input_t *in, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		v <<= 8;
		if (in->left > 0) {
			v |= *in->p++;
			in->left--;
		}
	}
	return v;
}

/* new NUL-terminated string of up to STR_MAX input bytes */
static char *take_str(input_t *in)
{
	size_t n = (size_t)take(in, 2) % (STR_MAX + 1);
	char *s;

	if (n > in->left)
		n = in->left;
	s = malloc(n + 1);
	if (s == NULL)
		abort();
	memcpy(s, in->p, n);
	s[n] = '\0';
	in->p += n;
	in->left -= n;
	return s;
}

/* What a successful call should have put in the file. */
typedef struct expect {
	uint32_t type;
	uint32_t if_id;
	int linktype;
	uint32_t snaplen;
	uint64_t ts_ns;
	const uint8_t *data; /* borrowed from the input */
	uint32_t caplen, origlen;
	int direction;
	size_t comment_len, name_len, desc_len, os_len, appl_len;
	uint64_t received, dropped;
} expect_t;

typedef struct iface {
	int linktype;
	uint32_t snaplen;
} iface_t;

static uint32_t rd32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, 4); /* host byte order, as written */
	return v;
}

static uint16_t rd16(const uint8_t *b)
{
	uint16_t v;

	memcpy(&v, b, 2);
	return v;
}

static uint64_t rd64(const uint8_t *b)
{
	uint64_t v;

	memcpy(&v, b, 8);
	return v;
}

/* Length the writer stores for a string option: at most max bytes, not
 * cutting a UTF-8 sequence when it had to cut. */
static size_t stored_len(const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strnlen(s, max);
	if (n == max && s[n] != '\0')
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	return n;
}

/* Walks the options in [pos, end): each well formed, zero padding, each
 * code once, opt_endofopt last.  ret_len[code] / ret_off[code]: length and
 * offset of the value of each code below 16 (SIZE_MAX when absent). */
static void walk_options(const uint8_t *b, size_t pos, size_t end, size_t ret_len[16], size_t ret_off[16])
{
	bool ended = false;

	for (int i = 0; i < 16; i++)
		ret_len[i] = SIZE_MAX, ret_off[i] = 0;
	if (pos == end)
		return; /* no options at all */
	while (pos < end) {
		uint16_t code, len;

		CHECK(!ended);
		CHECK(end - pos >= 4);
		code = rd16(b + pos);
		len = rd16(b + pos + 2);
		pos += 4;
		if (code == 0) {
			CHECK(len == 0);
			ended = true;
			continue;
		}
		CHECK(((size_t)len + 3) / 4 * 4 <= end - pos);
		for (size_t k = len; k % 4 != 0; k++)
			CHECK(b[pos + k] == 0); /* padding is zeros */
		if (code < 16) {
			CHECK(ret_len[code] == SIZE_MAX); /* each option once */
			ret_len[code] = len;
			ret_off[code] = pos;
		}
		pos += ((size_t)len + 3) / 4 * 4;
	}
	CHECK(ended);
}

static void check_str_option(const uint8_t *b, size_t len[16], size_t off[16], int code, size_t want,
			     const char *s)
{
	if (want == 0) {
		CHECK(len[code] == SIZE_MAX);
		return;
	}
	CHECK(len[code] == want);
	CHECK(memcmp(b + off[code], s, want) == 0);
}

static void check_pcapng(const uint8_t *b, size_t size, const expect_t *ex, size_t n_ex, const char *os,
			 const char *appl)
{
	size_t pos = 0, blk = 0, len[16], off[16];

	while (pos < size) {
		uint32_t type, blen;
		const expect_t *e;

		CHECK(size - pos >= 12);
		type = rd32(b + pos);
		blen = rd32(b + pos + 4);
		CHECK(blen % 4 == 0 && blen >= 12 && blen <= size - pos);
		CHECK(rd32(b + pos + blen - 4) == blen);
		CHECK(blk < n_ex);
		e = &ex[blk];
		CHECK(type == e->type);
		switch (type) {
		case BT_SHB:
			CHECK(blk == 0 && blen >= 28);
			CHECK(rd32(b + pos + 8) == 0x1A2B3C4Du);
			CHECK(rd16(b + pos + 12) == 1 && rd16(b + pos + 14) == 0);
			CHECK(rd64(b + pos + 16) == UINT64_MAX);
			walk_options(b, pos + 24, pos + blen - 4, len, off);
			check_str_option(b, len, off, 3, e->os_len, os);
			check_str_option(b, len, off, 4, e->appl_len, appl);
			break;
		case BT_IDB:
			CHECK(blen >= 20);
			CHECK(rd16(b + pos + 8) == (uint16_t)e->linktype && rd16(b + pos + 10) == 0);
			CHECK(rd32(b + pos + 12) == e->snaplen);
			walk_options(b, pos + 16, pos + blen - 4, len, off);
			CHECK(len[9] == 1 && b[off[9]] == 9); /* if_tsresol: ns */
			CHECK(len[2] == (e->name_len ? e->name_len : SIZE_MAX));
			CHECK(len[3] == (e->desc_len ? e->desc_len : SIZE_MAX));
			break;
		case BT_EPB: {
			uint32_t caplen;

			CHECK(blen >= 32);
			CHECK(rd32(b + pos + 8) == e->if_id);
			CHECK(((uint64_t)rd32(b + pos + 12) << 32 | rd32(b + pos + 16)) == e->ts_ns);
			caplen = rd32(b + pos + 20);
			CHECK(caplen == e->caplen && rd32(b + pos + 24) == e->origlen);
			CHECK(((size_t)caplen + 3) / 4 * 4 <= blen - 32);
			CHECK(caplen == 0 || memcmp(b + pos + 28, e->data, caplen) == 0);
			for (size_t k = caplen; k % 4 != 0; k++)
				CHECK(b[pos + 28 + k] == 0);
			walk_options(b, pos + 28 + ((size_t)caplen + 3) / 4 * 4, pos + blen - 4, len, off);
			CHECK(len[1] == (e->comment_len ? e->comment_len : SIZE_MAX));
			if (e->direction == 0)
				CHECK(len[2] == SIZE_MAX);
			else
				CHECK(len[2] == 4 && rd32(b + off[2]) == (uint32_t)e->direction);
			break;
		}
		case BT_ISB:
			CHECK(blen >= 24);
			CHECK(rd32(b + pos + 8) == e->if_id);
			walk_options(b, pos + 20, pos + blen - 4, len, off);
			CHECK(len[4] == 8 && rd64(b + off[4]) == e->received);
			CHECK(len[5] == 8 && rd64(b + off[5]) == e->dropped);
			break;
		default:
			abort();
		}
		pos += blen;
		blk++;
	}
	CHECK(pos == size && blk == n_ex);
}

static void check_pcap(const uint8_t *b, size_t size, const expect_t *ex, size_t n_ex)
{
	size_t pos = 0, blk = 0;
	uint32_t snaplen = 0;

	while (pos < size) {
		const expect_t *e;

		CHECK(blk < n_ex);
		e = &ex[blk];
		if (blk == 0) {
			CHECK(e->type == BT_IDB && size >= 24);
			CHECK(rd32(b) == 0xA1B23C4Du && rd16(b + 4) == 2 && rd16(b + 6) == 4);
			snaplen = rd32(b + 16);
			CHECK(snaplen == e->snaplen && rd32(b + 20) == (uint32_t)e->linktype);
			pos = 24;
		} else {
			uint32_t caplen;

			CHECK(e->type == BT_EPB && size - pos >= 16);
			CHECK(rd32(b + pos) == (uint32_t)(e->ts_ns / 1000000000u));
			CHECK(rd32(b + pos + 4) == (uint32_t)(e->ts_ns % 1000000000u));
			caplen = rd32(b + pos + 8);
			CHECK(caplen == e->caplen && caplen <= snaplen && rd32(b + pos + 12) == e->origlen);
			CHECK(caplen <= size - pos - 16);
			CHECK(caplen == 0 || memcmp(b + pos + 16, e->data, caplen) == 0);
			pos += 16 + (size_t)caplen;
		}
		blk++;
	}
	CHECK(pos == size && blk == n_ex);
}

static int memfd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static expect_t ex[MAX_OPS + 1];
	static iface_t ifaces[MAX_OPS];
	char *strings[3 * MAX_OPS + 2];
	size_t n_strings = 0, n_ex = 0, n_if = 0, junk;
	input_t in = { data, size };
	nc_pcapng_t *w = NULL;
	nc_pcapng_format_t format;
	char *os = NULL, *appl = NULL;
	unsigned flags;
	uint8_t *file;
	struct stat st;

	if (memfd < 0) {
		memfd = memfd_create("fuzz-pcapng", MFD_CLOEXEC);
		CHECK(memfd >= 0);
	}
	CHECK(ftruncate(memfd, 0) == 0 && lseek(memfd, 0, SEEK_SET) == 0);

	flags = (unsigned)take(&in, 1);
	format = flags & 1 ? NC_PCAPNG_FORMAT_PCAP : NC_PCAPNG_FORMAT_PCAPNG;
	if (flags & 2)
		os = strings[n_strings++] = take_str(&in);
	if (flags & 4)
		appl = strings[n_strings++] = take_str(&in);
	junk = (flags >> 3) & 3;
	CHECK(write(memfd, "XXX", junk) == (ssize_t)junk);

	CHECK(nc_pcapng_open_fd(memfd, format, os, appl, &w) == 0 && w != NULL);
	if (format == NC_PCAPNG_FORMAT_PCAPNG)
		ex[n_ex++] = (expect_t){ .type = BT_SHB, .os_len = stored_len(os, NC_PCAPNG_NAME_MAX),
					 .appl_len = stored_len(appl, NC_PCAPNG_NAME_MAX) };

	for (int op = 0; op < MAX_OPS && in.left > 0; op++) {
		unsigned code = (unsigned)take(&in, 1);
		expect_t e = { 0 };
		bool ok;
		int r;

		switch (code & 3) {
		case 0: { /* add_interface */
			char *name = code & 0x10 ? (strings[n_strings++] = take_str(&in)) : NULL;
			char *desc = code & 0x20 ? (strings[n_strings++] = take_str(&in)) : NULL;
			int linktype = (int)take(&in, 2);
			uint32_t snaplen = (uint32_t)take(&in, 4);

			if (code & 0x40)
				linktype = code & 0x80 ? -1 : 0x10000;
			if (!(code & 0x08))
				snaplen %= NC_PCAPNG_SNAPLEN_MAX + 1;
			r = nc_pcapng_add_interface(w, name, desc, linktype, snaplen);
			ok = linktype >= 0 && linktype <= 0xFFFF && snaplen <= NC_PCAPNG_SNAPLEN_MAX;
			CHECK(ok ? r == (int)n_if : r < 0);
			if (!ok)
				break;
			ifaces[n_if++] = (iface_t){ linktype, snaplen ? snaplen : NC_PCAPNG_SNAPLEN_MAX };
			e.type = BT_IDB;
			e.linktype = linktype;
			e.snaplen = snaplen ? snaplen : NC_PCAPNG_SNAPLEN_MAX;
			e.name_len = stored_len(name, NC_PCAPNG_NAME_MAX);
			e.desc_len = stored_len(desc, NC_PCAPNG_NAME_MAX);
			/* classic pcap: only the first interface writes (the header) */
			if (format == NC_PCAPNG_FORMAT_PCAPNG || n_if == 1)
				ex[n_ex++] = e;
			break;
		}
		case 1: { /* write_packet */
			uint32_t if_id = (uint32_t)take(&in, 1);
			uint64_t ts = take(&in, 8);
			uint32_t caplen = (uint32_t)take(&in, 2);
			uint32_t extra = (uint32_t)take(&in, 2);
			int direction = (int)take(&in, 1) % 4;
			char *comment = code & 0x10 ? (strings[n_strings++] = take_str(&in)) : NULL;
			const uint8_t *bytes = in.p;
			uint32_t origlen;

			if (caplen > in.left)
				caplen = (uint32_t)in.left;
			in.p += caplen;
			in.left -= caplen;
			origlen = code & 0x20 ? (extra < caplen ? extra : caplen - 1) : caplen + extra;
			if (code & 0x40 && caplen == 0)
				bytes = NULL;
			r = nc_pcapng_write_packet(w, if_id, ts, bytes, caplen, origlen, direction, comment);
			ok = if_id < n_if && caplen <= origlen && direction <= 2 && caplen <= ifaces[if_id].snaplen;
			if (ok && format == NC_PCAPNG_FORMAT_PCAP)
				ok = ifaces[if_id].linktype == ifaces[0].linktype && caplen <= ifaces[0].snaplen;
			CHECK(ok ? r == 0 : r < 0);
			if (!ok)
				break;
			e.type = BT_EPB;
			e.if_id = if_id;
			e.ts_ns = ts;
			e.data = bytes;
			e.caplen = caplen;
			e.origlen = origlen;
			e.direction = direction;
			e.comment_len = stored_len(comment, NC_PCAPNG_COMMENT_MAX);
			ex[n_ex++] = e;
			break;
		}
		case 2: { /* write_stats */
			uint32_t if_id = (uint32_t)take(&in, 1);
			uint64_t ts = take(&in, 8), received = take(&in, 8), dropped = take(&in, 8);

			r = nc_pcapng_write_stats(w, if_id, ts, received, dropped);
			ok = if_id < n_if;
			CHECK(ok ? r == 0 : r < 0);
			if (!ok || format == NC_PCAPNG_FORMAT_PCAP)
				break;
			e.type = BT_ISB;
			e.if_id = if_id;
			e.received = received;
			e.dropped = dropped;
			ex[n_ex++] = e;
			break;
		}
		default: /* flush: durable, and nothing written */
			CHECK(nc_pcapng_flush(w) == 0);
			break;
		}
	}
	CHECK(nc_pcapng_flush(w) == 0);
	nc_pcapng_free(w);

	CHECK(fstat(memfd, &st) == 0 && (size_t)st.st_size >= junk);
	file = malloc((size_t)st.st_size - junk + 1); /* +1: malloc(0) */
	CHECK(file != NULL);
	CHECK(pread(memfd, file, (size_t)st.st_size - junk, (off_t)junk) == st.st_size - (off_t)junk);
	if (format == NC_PCAPNG_FORMAT_PCAPNG)
		check_pcapng(file, (size_t)st.st_size - junk, ex, n_ex, os, appl);
	else
		check_pcap(file, (size_t)st.st_size - junk, ex, n_ex);
	free(file);
	for (size_t i = 0; i < n_strings; i++)
		free(strings[i]);
	return 0;
}
