/* Error helpers shared by every module.  Owns no state. */
#include "netcheck/common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <uv.h>

int nc_error_set(nc_error_t *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
	return code;
}

/* netcheck's own band: each code's name (the enum's, for reports) and text */
static const struct own_error {
	int code;
	const char *name;
	const char *text;
} own_errors[] = {
	{ NC_EENGINE, "NC_EENGINE", "the engine answered with an error" },
	{ NC_EPROTO, "NC_EPROTO", "malformed or truncated data" },
	{ NC_ETOOBIG, "NC_ETOOBIG", "response larger than allowed" },
	{ NC_ENOTFOUND, "NC_ENOTFOUND", "not found" },
	{ NC_ECONFLICT, "NC_ECONFLICT", "conflict: the name is in use or the object is busy" },
	{ NC_ECANCELED, "NC_ECANCELED", "interrupted" },
	{ NC_EFORWARD, "NC_EFORWARD", "route leaves through a gateway" },
	{ NC_EPORTTAKEN, "NC_EPORTTAKEN", "host port already allocated or in use" },
	{ NC_ENOIMAGE, "NC_ENOIMAGE", "no such image" },
	{ NC_EGONE, "NC_EGONE", "the container, service or network is gone" },
	{ NC_ECANTCREAT, "NC_ECANTCREAT", "the output file cannot be created" },
};

static const struct own_error *own_error(int code)
{
	for (size_t i = 0; i < NC_ARRAY_SIZE(own_errors); i++)
		if (own_errors[i].code == code)
			return &own_errors[i];
	return NULL;
}

const char *nc_error_name(int code)
{
	const struct own_error *own = own_error(code);
	char probe[64];

	if (own != NULL)
		return own->name;
	if (code >= 0 || code <= NC_EBASE)
		return "UNKNOWN";
	/* uv_err_name() names every UV_E* (on Unix the errno's own name), and
	 * allocates, never freed, for any other code: asked through the _r
	 * form first, so it is called for a known one only */
	uv_err_name_r(code, probe, sizeof(probe));
	if (strncmp(probe, "Unknown", 7) == 0)
		return "UNKNOWN";
	return uv_err_name(code);
}

const char *nc_strerror(int code)
{
	const struct own_error *own = own_error(code);

	if (own != NULL)
		return own->text;
	/* UV_E* are -errno on Unix, except a few such as UV_EOF (-4095). */
	if (code <= -4000 && code > NC_EBASE)
		return uv_strerror(code);
	if (code < 0)
		return strerror(-code);
	return "unknown error";
}

int nc_percent_encode(char *buf, size_t len, size_t *used, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '.' || c == '_' || c == '~';

		if (*used + (plain ? 1 : 3) >= len)
			return -ENOSPC;
		if (plain) {
			buf[(*used)++] = (char)c;
		} else {
			buf[(*used)++] = '%';
			buf[(*used)++] = hex[c >> 4];
			buf[(*used)++] = hex[c & 0xf];
		}
	}
	buf[*used] = '\0';
	return 0;
}
