/* netcheck: SHA-256 (FIPS 180-4), for the digests a Docker image archive
 * names (the layer's diff id and the image id, the digest of its config)
 * and the directory a Docker context's metadata sits in.  Identity, not
 * secrecy: the bytes hashed are netcheck's own build or a context's name.
 * No I/O.  May call libcrypto (EVP), libc. */
#ifndef NETCHECK_DIGEST_H
#define NETCHECK_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define NC_SHA256_LEN 32
#define NC_SHA256_HEX_LEN (2 * NC_SHA256_LEN) /* without the NUL */

/* data: borrowed, len bytes (may be NULL when len is 0); out: 32 bytes.
 * 0, or -EIO when libcrypto fails (no memory, no SHA-256 in its providers). */
int nc_sha256(const void *data, size_t len, uint8_t out[NC_SHA256_LEN]);
/* The digest as "sha256:" and 64 lowercase hex digits; buf: borrowed, at
 * least 72 bytes.  Returns buf; "" when buf is too small or the digest
 * failed, so a caller checks buf[0]. */
char *nc_sha256_text(const void *data, size_t len, char *buf, size_t buf_len);

#endif
