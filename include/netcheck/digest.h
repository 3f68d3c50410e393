/* netcheck: SHA-256 (FIPS 180-4), for the digests a Docker image archive
 * names: the layer's diff id and the image id (the digest of its config).
 * Identity, not secrecy: the bytes hashed are netcheck's own build.
 * Pure: no allocation, no I/O.  May call libc. */
#ifndef NETCHECK_DIGEST_H
#define NETCHECK_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define NC_SHA256_LEN 32
#define NC_SHA256_HEX_LEN (2 * NC_SHA256_LEN) /* without the NUL */

/* data: borrowed, len bytes (may be NULL when len is 0); out: 32 bytes. */
void nc_sha256(const void *data, size_t len, uint8_t out[NC_SHA256_LEN]);
/* The digest as "sha256:" and 64 lowercase hex digits; buf: borrowed, at
 * least 72 bytes.  Returns buf. */
char *nc_sha256_text(const void *data, size_t len, char *buf, size_t buf_len);

#endif
