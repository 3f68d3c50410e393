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

const char *nc_strerror(int code)
{
	switch (code) {
	case NC_EENGINE: return "the engine answered with an error";
	case NC_EPROTO: return "malformed or truncated data";
	case NC_ETOOBIG: return "response larger than allowed";
	case NC_ENOTFOUND: return "not found";
	case NC_ECONFLICT: return "conflict: the name is in use or the object is busy";
	case NC_ECANCELED: return "interrupted";
	case NC_EFORWARD: return "route leaves through a gateway";
	case NC_EPORTTAKEN: return "host port already allocated or in use";
	case NC_ENOIMAGE: return "no such image";
	case NC_EGONE: return "the container, service or network is gone";
	case NC_ECANTCREAT: return "the output file cannot be created";
	default: break;
	}
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
