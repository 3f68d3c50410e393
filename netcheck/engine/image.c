/* netcheck: the responder image's root filesystem and import query.
 *
 * Writes a POSIX ustar archive by hand (the format is three fixed-width
 * fields and a checksum; no libarchive needed for seven entries).  Every
 * timestamp is 0 and every owner root, so the same responder gives the same
 * archive, and the engine the same layer digest. */
#include "netcheck/image.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/common.h"
#include "netcheck/digest.h"
#include "netcheck/engine.h"
#include "netcheck/testing.h"

#define TAR_BLOCK 512
#define TAR_SIZE_LIMIT 077777777777ULL /* 11 octal digits */

static const char image_name[] = "netcheck-responder";

/* Accounts for `USER 65534`: the runtime reads the gid from /etc/passwd. */
static const char etc_passwd[] =
	"root:x:0:0:root:/:/sbin/nologin\n"
	"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n";
static const char etc_group[] =
	"root:x:0:\n"
	"nobody:x:65534:\n";

/* POSIX ustar header (IEEE 1003.1-1988), 512 bytes. */
struct ustar_header {
	char name[100];
	char mode[8];
	char uid[8];
	char gid[8];
	char size[12];
	char mtime[12];
	char chksum[8];
	char typeflag;
	char linkname[100];
	char magic[6];
	char version[2];
	char uname[32];
	char gname[32];
	char devmajor[8];
	char devminor[8];
	char prefix[155];
	char pad[12];
};
_Static_assert(sizeof(struct ustar_header) == TAR_BLOCK, "ustar header is one block");

typedef struct tar_entry {
	const char *name;     /* borrowed; < 100 bytes, '/' at the end for directories */
	char typeflag;        /* '0' file, '5' directory */
	unsigned mode;
	const uint8_t *data;  /* borrowed; NULL for directories */
	size_t size;
} tar_entry_t;

static bool tag_is_valid(const char *tag);

int nc_image_tag(const char *source_digest, char *buf, size_t buf_len)
{
	int n;

	if (source_digest == NULL || strspn(source_digest, "0123456789abcdef") < 12)
		return -EINVAL;
	n = snprintf(buf, buf_len, "%s-%.12s", NC_VERSION, source_digest);
	return n < 0 || (size_t)n >= buf_len ? -ENOSPC : 0;
}

const char *nc_image_name(void)
{
	return image_name;
}

static size_t round_up_block(size_t n)
{
	return (n + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
}

/* width counts the NUL that ends the field; the value was range-checked. */
static void put_octal(char *field, size_t width, unsigned long long value)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%0*llo", (int)(width - 1), value);
	memcpy(field, tmp, width - 1);
	field[width - 1] = '\0';
}

/* header: borrowed, one zeroed block. */
static void write_header(struct ustar_header *h, const tar_entry_t *e)
{
	const unsigned char *bytes = (const unsigned char *)h;
	unsigned long sum = 0;

	memcpy(h->name, e->name, strlen(e->name));
	put_octal(h->mode, sizeof(h->mode), e->mode);
	put_octal(h->uid, sizeof(h->uid), 0);
	put_octal(h->gid, sizeof(h->gid), 0);
	put_octal(h->size, sizeof(h->size), e->size);
	put_octal(h->mtime, sizeof(h->mtime), 0);
	h->typeflag = e->typeflag;
	memcpy(h->magic, "ustar", 6); /* with its NUL */
	memcpy(h->version, "00", 2);
	memcpy(h->uname, "root", 4);
	memcpy(h->gname, "root", 4);
	put_octal(h->devmajor, sizeof(h->devmajor), 0);
	put_octal(h->devminor, sizeof(h->devminor), 0);

	/* the checksum is taken with its own field read as spaces */
	memset(h->chksum, ' ', sizeof(h->chksum));
	for (size_t i = 0; i < sizeof(*h); i++)
		sum += bytes[i];
	put_octal(h->chksum, 7, sum); /* six digits, NUL, then the space stays */
}

/* entries: borrowed, n of them, in archive order.  *ret_tar: new, *ret_len
 * bytes, ending with the two zero blocks. */
static int write_tar(const tar_entry_t *entries, size_t n, uint8_t **ret_tar, size_t *ret_len)
{
	size_t total = 2 * TAR_BLOCK; /* the end-of-archive marker */
	uint8_t *tar; /* owned until handed to the caller */
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		/* the callers' sizes are checked: no sum here can overflow */
		if ((unsigned long long)entries[i].size > TAR_SIZE_LIMIT)
			return -EINVAL;
		total += TAR_BLOCK + round_up_block(entries[i].size);
	}
	tar = calloc(1, total); /* zeroed: padding and end blocks come free */
	if (tar == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const tar_entry_t *e = &entries[i];

		write_header((struct ustar_header *)(tar + off), e);
		off += TAR_BLOCK;
		if (e->size > 0)
			memcpy(tar + off, e->data, e->size);
		off += round_up_block(e->size);
	}
	*ret_tar = tar;
	*ret_len = total;
	return 0;
}

int nc_image_build_tar(const uint8_t *responder, size_t responder_len, uint8_t **ret_tar, size_t *ret_len)
{
	const tar_entry_t entries[] = {
		{ "dev/", '5', 0755, NULL, 0 },
		{ "etc/", '5', 0755, NULL, 0 },
		{ "etc/group", '0', 0644, (const uint8_t *)etc_group, sizeof(etc_group) - 1 },
		{ "etc/passwd", '0', 0644, (const uint8_t *)etc_passwd, sizeof(etc_passwd) - 1 },
		{ "proc/", '5', 0755, NULL, 0 },
		{ "responder", '0', 0755, responder, responder_len },
		{ "sys/", '5', 0755, NULL, 0 },
		{ "tmp/", '5', 01777, NULL, 0 },
	};

	if (responder == NULL || ret_tar == NULL || ret_len == NULL)
		return -EINVAL;
	/* the second test keeps the sum in write_tar from overflowing a 32-bit size_t */
	if ((unsigned long long)responder_len > TAR_SIZE_LIMIT ||
	    responder_len > SIZE_MAX - 32 * TAR_BLOCK - 2 * sizeof(etc_passwd) - 2 * sizeof(etc_group))
		return -EINVAL;
	return write_tar(entries, NC_ARRAY_SIZE(entries), ret_tar, ret_len);
}

/* The Go name of this build's architecture, as image configs give it. */
static const char *image_architecture(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__arm__)
	return "arm";
#elif defined(__i386__)
	return "386";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
	return "ppc64le";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
	return "riscv64";
#else
#error "netcheck: the image config needs this architecture's Go name"
#endif
}

int nc_image_build_archive(const uint8_t *responder, size_t responder_len, const char *tag, uint8_t **ret_tar,
			   size_t *ret_len, char *ret_id, size_t id_len)
{
	char diff_id[80], config_name[96], config[640], manifest[512];
	uint8_t *layer = NULL;
	size_t layer_len = 0;
	int r, n;

	if (!tag_is_valid(tag) || ret_id == NULL || id_len < sizeof(diff_id))
		return -EINVAL;
	r = nc_image_build_tar(responder, responder_len, &layer, &layer_len);
	if (r < 0)
		return r;
	if (nc_sha256_text(layer, layer_len, diff_id, sizeof(diff_id))[0] == '\0') {
		free(layer);
		return -EIO;
	}
	/* The settings of image_changes, as config fields.  No "created" and no history: nothing in here changes from one engine
	 * or one day to the next, so the image id (this config's digest) is
	 * the same everywhere the archive is loaded. */
	n = snprintf(config, sizeof(config),
		     "{\"architecture\":\"%s\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/responder\"],"
		     "\"ExposedPorts\":{\"80/tcp\":{}},\"User\":\"65534\"},"
		     "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
		     image_architecture(), diff_id);
	if (n < 0 || (size_t)n >= sizeof(config)) {
		free(layer);
		return -ENOSPC;
	}
	if (nc_sha256_text(config, (size_t)n, ret_id, id_len)[0] == '\0') {
		free(layer);
		return -EIO;
	}
	snprintf(config_name, sizeof(config_name), "%s.json", ret_id + 7);
	n = snprintf(manifest, sizeof(manifest),
		     "[{\"Config\":\"%s\",\"RepoTags\":[\"%s:%s\"],\"Layers\":[\"layer.tar\"]}]", config_name,
		     image_name, tag);
	if (n < 0 || (size_t)n >= sizeof(manifest)) {
		free(layer);
		return -ENOSPC;
	}
	{
		const tar_entry_t entries[] = {
			{ config_name, '0', 0644, (const uint8_t *)config, strlen(config) },
			{ "layer.tar", '0', 0644, layer, layer_len },
			{ "manifest.json", '0', 0644, (const uint8_t *)manifest, (size_t)n },
		};

		r = write_tar(entries, NC_ARRAY_SIZE(entries), ret_tar, ret_len);
	}
	free(layer);
	return r;
}

static bool tag_is_valid(const char *tag)
{
	size_t n;

	if (tag == NULL)
		return false;
	n = strnlen(tag, NC_IMAGE_TAG_MAX + 1);
	if (n == 0 || n > NC_IMAGE_TAG_MAX || tag[0] == '.' || tag[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = tag[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '.' || c == '-'))
			return false;
	}
	return true;
}


static const char *const image_changes[] = {
	"CMD [\"/responder\"]",
	"EXPOSE 80/tcp",
	"USER 65534",
};

const char *const *nc_image_changes(size_t *ret_n)
{
	*ret_n = NC_ARRAY_SIZE(image_changes);
	return image_changes;
}

bool nc_image_tag_is_valid(const char *tag)
{
	return tag_is_valid(tag);
}


bool nc_image_ref_is_other_build(const char *ref, const char *current_tag)
{
	size_t name_len = sizeof(image_name) - 1;
	const char *tag;

	if (ref == NULL || current_tag == NULL || strncmp(ref, image_name, name_len) != 0 || ref[name_len] != ':')
		return false;
	tag = ref + name_len + 1;
	return tag[0] >= '0' && tag[0] <= '9' && tag_is_valid(tag) && strcmp(tag, current_tag) != 0;
}
