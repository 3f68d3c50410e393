/* netcheck: the responder image, as bytes for the Docker Engine API.
 *
 * Builds in memory the root filesystem (a POSIX ustar archive) that
 * `POST /images/create?fromSrc=-` imports as the netcheck-responder image,
 * and the settings the import gives it.  Owns nothing beyond the archive it
 * returns; does no I/O (the engine module sends the bytes and builds the
 * API query).  May call libc, and the engine's pure query builder.
 *
 * The archive holds /responder (0755, the static responder built from
 * netcheck/responder/), empty /etc /tmp (1777) /proc /sys /dev, and an
 * /etc/passwd and /etc/group with root (0) and nobody (65534), so
 * `USER 65534` gets gid 65534. */
#ifndef NETCHECK_IMAGE_H
#define NETCHECK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The responder executable, embedded at build time by
 * netcheck/responder/embed.py (generated nc-responder-bin.c), and the
 * SHA-256 (64 hex digits) of the inputs it was built from: its sources,
 * the headers they include and its meson.build, named relative to the
 * source tree.  The same in every build folder and with every toolchain,
 * where the executable's bytes need not be. */
extern const unsigned char nc_responder_bin[];
extern const size_t nc_responder_bin_len;
extern const char nc_responder_source_digest[];

/* Longest image tag accepted; tags are [A-Za-z0-9_.-]. */
#define NC_IMAGE_TAG_MAX 128

/* The image's tag: the version and the first 12 hex digits of the
 * responder's source digest ("0.1.0-3fa2c19b0e4d"; source_digest: borrowed,
 * nc_responder_source_digest), so an engine that holds the image of another
 * responder of the same version never runs it, and two builds of the same
 * sources (two build folders, gcc and clang) share one image.  0, -EINVAL
 * for a digest that is not 12 or more lowercase hex digits, or -ENOSPC. */
int nc_image_tag(const char *source_digest, char *buf, size_t buf_len);

/* "netcheck-responder".  returns: static */
const char *nc_image_name(void);

/* responder: borrowed, responder_len bytes; the executable to put at /responder.
 * *ret_tar: new, *ret_len bytes, a multiple of 512; free() it.
 * Returns 0, -ENOMEM, or -EINVAL (NULL arguments, or an executable of 8 GiB
 * or more, which a ustar size field cannot hold).  On error *ret_tar and
 * *ret_len are left untouched. */
int nc_image_build_tar(const uint8_t *responder, size_t responder_len, uint8_t **ret_tar, size_t *ret_len);

/* The same image as a `docker load` archive (POST /images/load): the layer
 * nc_image_build_tar() makes, an image config with the settings of
 * nc_image_changes() and this build's architecture, and a manifest naming
 * "netcheck-responder:<tag>" (tag: borrowed, nc_image_tag_is_valid()).
 * Every byte follows from the responder, so every engine that loads it
 * gets the same image id -- which a Swarm service can name, so that no
 * node ever tries to pull it.  ret_id: borrowed, id_len >= 80 bytes, gets
 * "sha256:<64 hex>".  *ret_tar: new, *ret_len bytes; free() it.  Returns
 * 0, -ENOMEM, -EINVAL, or -EIO (no SHA-256 from libcrypto). */
int nc_image_build_archive(const uint8_t *responder, size_t responder_len, const char *tag, uint8_t **ret_tar,
			   size_t *ret_len, char *ret_id, size_t id_len);

/* The image's settings as Dockerfile lines (CMD ["/responder"], EXPOSE
 * 80/tcp, USER 65534), for nc_engine_image_import(e, tar, len,
 * nc_image_name(), tag, changes, n, err).  returns: static; *ret_n: count */
const char *const *nc_image_changes(size_t *ret_n);
/* Is ref (borrowed, "repo:tag" as the engine lists it) a responder image
 * another netcheck build made: repository nc_image_name() exactly, a tag
 * netcheck gives (a version, "0.1.0", or a version and a source digest,
 * "0.1.0-3fa2c19b0e4d": it starts with a digit), and not current_tag
 * (borrowed, nc_image_tag()'s)?  A tag a user chose is never one. */
bool nc_image_ref_is_other_build(const char *ref, const char *current_tag);
/* tag: borrowed; 1..NC_IMAGE_TAG_MAX of [A-Za-z0-9_.-], not starting with '.' or '-' */
bool nc_image_tag_is_valid(const char *tag);

#endif
