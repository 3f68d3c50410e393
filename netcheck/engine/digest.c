/* netcheck: SHA-256 through libcrypto's EVP interface (OpenSSL is linked
 * already, by libcurl), for the digests an image archive and a Docker
 * context name.  One message at a time: the largest netcheck hashes is the
 * responder image's layer, about 1 MiB. */
#include "netcheck/digest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

int nc_sha256(const void *data, size_t len, uint8_t out[NC_SHA256_LEN])
{
	unsigned int out_len = 0;

	/* EVP_Digest wants a pointer even for the empty message */
	if (EVP_Digest(len > 0 ? data : "", len, out, &out_len, EVP_sha256(), NULL) != 1 || out_len != NC_SHA256_LEN)
		return -EIO;
	return 0;
}

char *nc_sha256_text(const void *data, size_t len, char *buf, size_t buf_len)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[NC_SHA256_LEN];
	char *p = buf + 7;

	if (buf_len < 7 + NC_SHA256_HEX_LEN + 1 || nc_sha256(data, len, d) < 0) {
		if (buf_len > 0)
			buf[0] = '\0';
		return buf;
	}
	memcpy(buf, "sha256:", 7);
	for (size_t i = 0; i < NC_SHA256_LEN; i++) {
		*p++ = hex[d[i] >> 4];
		*p++ = hex[d[i] & 0xf];
	}
	*p = '\0';
	return buf;
}
