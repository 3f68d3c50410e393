/* Unit tests for the responder image archive and import query. */
#include "netcheck/image.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netcheck/common.h"
#include "netcheck/digest.h"
#include "netcheck/testing.h"

#define BLOCK 512

typedef struct want_entry {
	const char *name;
	char typeflag;
	unsigned long mode;
} want_entry_t;

static const want_entry_t want_entries[] = {
	{ "dev/", '5', 0755 },
	{ "etc/", '5', 0755 },
	{ "etc/group", '0', 0644 },
	{ "etc/passwd", '0', 0644 },
	{ "proc/", '5', 0755 },
	{ "responder", '0', 0755 },
	{ "sys/", '5', 0755 },
	{ "tmp/", '5', 01777 },
};

/* An octal field: digits, then NUL or space padding. */
static unsigned long long field_octal(const uint8_t *field, size_t width)
{
	char tmp[32];
	char *end;
	unsigned long long v;

	assert_true(width < sizeof(tmp));
	memcpy(tmp, field, width);
	tmp[width] = '\0';
	v = strtoull(tmp, &end, 8);
	assert_true(end != tmp);
	assert_true(*end == '\0' || *end == ' ');
	return v;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* Walks the archive the way tar(1) does; checks every header, that file
 * data sits right after its header, padded with zeros, and the two zero
 * blocks at the end.  ret_* get the offset and size of a named file. */
static void check_archive(const uint8_t *tar, size_t len, const char *find, size_t *ret_off, size_t *ret_size)
{
	size_t off = 0, i = 0;

	assert_int_equal(len % BLOCK, 0);
	assert_true(len >= 2 * BLOCK);
	*ret_off = 0;
	*ret_size = 0;
	while (!all_zero(tar + off, BLOCK)) {
		const uint8_t *h = tar + off;
		unsigned long sum = 0;
		unsigned long long size;
		char name[101];

		assert_true(i < NC_ARRAY_SIZE(want_entries));
		memcpy(name, h, 100);
		name[100] = '\0';
		assert_string_equal(name, want_entries[i].name);
		/* checksum: all 512 bytes with the chksum field read as spaces */
		for (size_t b = 0; b < BLOCK; b++)
			sum += (b >= 148 && b < 156) ? ' ' : h[b];
		assert_int_equal(field_octal(h + 148, 6), sum);
		assert_int_equal(h[154], '\0');
		assert_int_equal(h[155], ' ');
		assert_memory_equal(h + 257, "ustar\0", 6);
		assert_memory_equal(h + 263, "00", 2);
		assert_int_equal(h[156], want_entries[i].typeflag);
		assert_int_equal(field_octal(h + 100, 8), want_entries[i].mode);
		assert_int_equal(field_octal(h + 108, 8), 0); /* uid */
		assert_int_equal(field_octal(h + 116, 8), 0); /* gid */
		assert_string_equal((const char *)h + 265, "root");
		assert_string_equal((const char *)h + 297, "root");
		size = field_octal(h + 124, 12);
		if (want_entries[i].typeflag == '5')
			assert_int_equal(size, 0);
		off += BLOCK;
		if (strcmp(name, find) == 0) {
			*ret_off = off;
			*ret_size = (size_t)size;
		}
		assert_true(off + size <= len - 2 * BLOCK);
		/* padding up to the next block is zero */
		assert_true(all_zero(tar + off + size, (BLOCK - size % BLOCK) % BLOCK));
		off += (size + BLOCK - 1) / BLOCK * BLOCK;
		i++;
	}
	assert_int_equal(i, NC_ARRAY_SIZE(want_entries));
	/* exactly two zero blocks end it */
	assert_int_equal(off, len - 2 * BLOCK);
	assert_true(all_zero(tar + off, 2 * BLOCK));
}

static void test_tar_layout(void **state)
{
	static const size_t sizes[] = { 0, 1, 511, 512, 513, 5000, 65536 + 7 };

	(void)state;
	for (size_t s = 0; s < NC_ARRAY_SIZE(sizes); s++) {
		uint8_t *input = test_malloc(sizes[s] + 1);
		uint8_t *tar = NULL;
		size_t len = 0, off, size;

		for (size_t i = 0; i < sizes[s]; i++)
			input[i] = (uint8_t)(i * 131 + 7);
		assert_int_equal(nc_image_build_tar(input, sizes[s], &tar, &len), 0);
		assert_non_null(tar);
		check_archive(tar, len, "responder", &off, &size);
		assert_int_equal(size, sizes[s]);
		if (sizes[s] > 0)
			assert_memory_equal(tar + off, input, sizes[s]);
		free(tar);
		test_free(input);
	}
}

static void test_tar_etc_files(void **state)
{
	static const uint8_t bin[] = "\x7f" "ELF";
	uint8_t *tar = NULL;
	size_t len = 0, off, size;
	char text[BLOCK + 1];

	(void)state;
	assert_int_equal(nc_image_build_tar(bin, sizeof(bin) - 1, &tar, &len), 0);

	check_archive(tar, len, "etc/passwd", &off, &size);
	assert_true(size > 0 && size < BLOCK);
	memcpy(text, tar + off, size);
	text[size] = '\0';
	assert_non_null(strstr(text, "\nnobody:x:65534:65534:"));
	assert_memory_equal(text, "root:x:0:0:", 11);

	check_archive(tar, len, "etc/group", &off, &size);
	assert_true(size > 0 && size < BLOCK);
	memcpy(text, tar + off, size);
	text[size] = '\0';
	assert_non_null(strstr(text, "\nnobody:x:65534:"));
	free(tar);
}

static void test_tar_reproducible(void **state)
{
	static const uint8_t bin[] = "responder bytes";
	uint8_t *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;

	(void)state;
	assert_int_equal(nc_image_build_tar(bin, sizeof(bin), &a, &alen), 0);
	assert_int_equal(nc_image_build_tar(bin, sizeof(bin), &b, &blen), 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(a);
	free(b);
}

static void test_tar_bad_arguments(void **state)
{
	static const uint8_t bin[] = "x";
	static uint8_t sentinel[] = "untouched";
	uint8_t *tar = sentinel;
	size_t len = 42;

	(void)state;
	assert_int_equal(nc_image_build_tar(NULL, 1, &tar, &len), -EINVAL);
	assert_int_equal(nc_image_build_tar(bin, 1, NULL, &len), -EINVAL);
	assert_int_equal(nc_image_build_tar(bin, 1, &tar, NULL), -EINVAL);
	/* 8 GiB does not fit the 11-digit size field; nothing is read */
	assert_int_equal(nc_image_build_tar(bin, (size_t)1 << 33, &tar, &len), -EINVAL);
	assert_ptr_equal(tar, sentinel);
	assert_int_equal(len, 42);
}

static void test_name(void **state)
{
	(void)state;
	assert_string_equal(nc_image_name(), "netcheck-responder");
}

/* gc's choice: netcheck's tags of netcheck's repository, other than the
 * running build's; never a tag a user chose, never another repository */
static void test_other_build(void **state)
{
	(void)state;
	assert_true(nc_image_ref_is_other_build("netcheck-responder:0.1.0-58247f34aa4a", "0.1.0-d546664444f1"));
	assert_true(nc_image_ref_is_other_build("netcheck-responder:0.0.9", "0.1.0-d546664444f1"));
	assert_false(nc_image_ref_is_other_build("netcheck-responder:0.1.0-d546664444f1", "0.1.0-d546664444f1"));
	assert_false(nc_image_ref_is_other_build("netcheck-responder:latest", "0.1.0-d546664444f1"));
	assert_false(nc_image_ref_is_other_build("netcheck-responder:mine", "0.1.0-d546664444f1"));
	assert_false(nc_image_ref_is_other_build("netcheck-responder-test:0.1.0-58247f34aa4a", "0.1.0-d546664444f1"));
	assert_false(nc_image_ref_is_other_build("registry.example/netcheck-responder:0.1.0", "0.1.0-d546664444f1"));
	assert_false(nc_image_ref_is_other_build("netcheck-responder", "0.1.0-d546664444f1"));
	assert_false(nc_image_ref_is_other_build("netcheck-responder:", "0.1.0-d546664444f1"));
	assert_false(nc_image_ref_is_other_build("netcheck-responder:0.1 x", "0.1.0-d546664444f1"));
	assert_false(nc_image_ref_is_other_build(NULL, "0.1.0"));
}

static void test_tags(void **state)
{
	char tag[NC_IMAGE_TAG_MAX + 2];
	size_t n;
	const char *const *changes;

	(void)state;
	/* the longest tag is accepted, one longer is refused */
	memset(tag, 'v', NC_IMAGE_TAG_MAX);
	tag[NC_IMAGE_TAG_MAX] = '\0';
	assert_true(nc_image_tag_is_valid(tag));
	strcat(tag, "v");
	assert_false(nc_image_tag_is_valid(tag));

	assert_true(nc_image_tag_is_valid("latest"));
	assert_true(nc_image_tag_is_valid("_x"));
	assert_true(nc_image_tag_is_valid("0.1.0-dev_2"));
	assert_false(nc_image_tag_is_valid(NULL));
	assert_false(nc_image_tag_is_valid(""));
	assert_false(nc_image_tag_is_valid("1.0 beta"));
	assert_false(nc_image_tag_is_valid("1.0&repo=evil"));
	assert_false(nc_image_tag_is_valid("a/b"));
	assert_false(nc_image_tag_is_valid("a:b"));
	assert_false(nc_image_tag_is_valid("1.0+build"));
	assert_false(nc_image_tag_is_valid("-rc1"));
	assert_false(nc_image_tag_is_valid(".hidden"));
	assert_false(nc_image_tag_is_valid("caf\xc3\xa9"));

	/* the settings the import sends (the query itself: test-engine.c) */
	changes = nc_image_changes(&n);
	assert_int_equal(n, 3);
	assert_string_equal(changes[0], "CMD [\"/responder\"]");
	assert_string_equal(changes[1], "EXPOSE 80/tcp");
	assert_string_equal(changes[2], "USER 65534");
}

/* The tag names the responder's source digest, not its bytes: the same
 * digest gives the same tag (tests of the digest itself across build
 * folders: netcheck/responder/test-tag.py). */
static void test_image_tag(void **state)
{
	char tag[NC_IMAGE_TAG_MAX], want[NC_IMAGE_TAG_MAX], tiny[8];
	(void)state;

	assert_int_equal(strlen(nc_responder_source_digest), 64);
	assert_int_equal(strspn(nc_responder_source_digest, "0123456789abcdef"), 64);
	assert_int_equal(nc_image_tag(nc_responder_source_digest, tag, sizeof(tag)), 0);
	snprintf(want, sizeof(want), "%s-%.12s", NC_VERSION, nc_responder_source_digest);
	assert_string_equal(tag, want);
	assert_true(nc_image_tag_is_valid(tag));
	assert_int_equal(nc_image_tag("0123456789abcdef0123", tag, sizeof(tag)), 0);
	assert_string_equal(tag, NC_VERSION "-0123456789ab");
	assert_int_equal(nc_image_tag("0123456789a", tag, sizeof(tag)), -EINVAL);  /* too short */
	assert_int_equal(nc_image_tag("0123456789AB", tag, sizeof(tag)), -EINVAL); /* not lowercase hex */
	assert_int_equal(nc_image_tag(NULL, tag, sizeof(tag)), -EINVAL);
	assert_int_equal(nc_image_tag(nc_responder_source_digest, tiny, sizeof(tiny)), -ENOSPC);
}

/* FIPS 180-4 examples and NIST's long message: one block, two blocks, the
 * padding edge (55 and 56 bytes), and a million 'a's. */
static void test_sha256_vectors(void **state)
{
	static char million[1000000];
	char hex[80], edge[57];

	(void)state;
	assert_string_equal(nc_sha256_text("", 0, hex, sizeof(hex)),
			    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(nc_sha256_text("abc", 3, hex, sizeof(hex)),
			    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_string_equal(
		nc_sha256_text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex, sizeof(hex)),
		"sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	memset(edge, 'a', sizeof(edge));
	assert_string_equal(nc_sha256_text(edge, 55, hex, sizeof(hex)),
			    "sha256:9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	memset(million, 'a', sizeof(million));
	assert_string_equal(nc_sha256_text(million, sizeof(million), hex, sizeof(hex)),
			    "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* too small a buffer: empty, never overrun */
	assert_string_equal(nc_sha256_text("abc", 3, hex, 71), "");
}

/* The entry named name in a tar: its data and size, or NULL. */
static const uint8_t *tar_find(const uint8_t *tar, size_t len, const char *name, size_t *ret_size)
{
	for (size_t off = 0; off + BLOCK <= len && tar[off] != 0;) {
		size_t size = (size_t)field_octal(tar + off + 124, 12);

		if (strncmp((const char *)tar + off, name, 100) == 0) {
			*ret_size = size;
			return tar + off + BLOCK;
		}
		off += BLOCK + (size + BLOCK - 1) / BLOCK * BLOCK;
	}
	return NULL;
}

/* What `docker load` checks: the manifest names the config and the layer,
 * the layer's digest is the config's diff id, and the image id is the
 * config's digest -- the same bytes, so the same id, on every call. */
static void test_archive(void **state)
{
	static const uint8_t exe[] = "\x7f" "ELF not really";
	uint8_t *tar = NULL, *tar2 = NULL, *layer = NULL;
	size_t len = 0, len2 = 0, layer_len = 0, n;
	char id[80], id2[80], want[80], config_name[80], text[1024];
	const uint8_t *config, *manifest, *in_layer;

	(void)state;
	assert_int_equal(nc_image_build_archive(exe, sizeof(exe), "0.1.0-abc", &tar, &len, id, sizeof(id)), 0);
	assert_int_equal(strlen(id), 7 + 64);
	snprintf(config_name, sizeof(config_name), "%s.json", id + 7);
	config = tar_find(tar, len, config_name, &n);
	assert_non_null(config);
	assert_string_equal(nc_sha256_text(config, n, want, sizeof(want)), id);
	assert_true(n < sizeof(text));
	memcpy(text, config, n), text[n] = '\0';
	assert_int_equal(nc_image_build_tar(exe, sizeof(exe), &layer, &layer_len), 0);
	assert_non_null(strstr(text, nc_sha256_text(layer, layer_len, want, sizeof(want))));
	assert_non_null(strstr(text, "\"Cmd\":[\"/responder\"]"));
	assert_non_null(strstr(text, "\"User\":\"65534\""));
	in_layer = tar_find(tar, len, "layer.tar", &n);
	assert_non_null(in_layer);
	assert_int_equal(n, layer_len);
	assert_memory_equal(in_layer, layer, layer_len);
	manifest = tar_find(tar, len, "manifest.json", &n);
	assert_non_null(manifest);
	memcpy(text, manifest, n), text[n] = '\0';
	assert_non_null(strstr(text, config_name));
	assert_non_null(strstr(text, "\"RepoTags\":[\"netcheck-responder:0.1.0-abc\"]"));
	assert_non_null(strstr(text, "\"Layers\":[\"layer.tar\"]"));
	/* reproducible: the id does not depend on when or where */
	assert_int_equal(nc_image_build_archive(exe, sizeof(exe), "0.1.0-abc", &tar2, &len2, id2, sizeof(id2)), 0);
	assert_string_equal(id, id2);
	assert_int_equal(len, len2);
	assert_memory_equal(tar, tar2, len);
	free(tar2);
	/* a bad tag or a short id buffer: nothing made */
	tar2 = NULL;
	assert_int_equal(nc_image_build_archive(exe, sizeof(exe), "-bad", &tar2, &len2, id2, sizeof(id2)), -EINVAL);
	assert_int_equal(nc_image_build_archive(exe, sizeof(exe), "ok", &tar2, &len2, id2, 20), -EINVAL);
	assert_null(tar2);
	free(layer);
	free(tar);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_other_build),
		cmocka_unit_test(test_tar_layout),
		cmocka_unit_test(test_tar_etc_files),
		cmocka_unit_test(test_tar_reproducible),
		cmocka_unit_test(test_tar_bad_arguments),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_image_tag),
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_archive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
