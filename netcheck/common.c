/* Error helpers shared by every module.  Owns no state. */
#include "netcheck/common.h"

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
	case NC_ECONFLICT: return "conflict";
	case NC_ECANCELED: return "interrupted";
	case NC_EFORWARD: return "route leaves through a gateway";
	default: break;
	}
	/* UV_E* are -errno on Unix, except a few such as UV_EOF (-4095). */
	if (code <= -4000 && code > NC_EBASE)
		return uv_strerror(code);
	if (code < 0)
		return strerror(-code);
	return "unknown error";
}
