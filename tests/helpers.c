/* Helpers shared by the unit tests; see helpers.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers.h"

nc_endpoint_t ep(const char *addr, uint16_t port)
{
	nc_endpoint_t e;

	assert_int_equal(nc_endpoint_parse(addr, port, &e), 0);
	return e;
}

nc_endpoint_t ep_str(const char *s)
{
	char addr[64];
	const char *colon = strrchr(s, ':');
	size_t n;

	assert_non_null(colon);
	n = (size_t)(colon - s);
	assert_true(n < sizeof(addr));
	memcpy(addr, s, n);
	addr[n] = '\0';
	return ep(addr, (uint16_t)atoi(colon + 1));
}

void *json_test_malloc(size_t size)
{
	return test_malloc(size);
}

void json_test_free(void *ptr)
{
	if (ptr != NULL)
		test_free(ptr);
}

size_t fixture_bytes(const char *name, char **ret_data)
{
	const char *dir = getenv("NC_FIXTURES");
	char path[1024];
	char *data;
	long len;
	FILE *f;

	assert_non_null(dir);
	assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path));
	f = fopen(path, "rbe");
	if (f == NULL)
		fail_msg("fixture %s: cannot open", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0 && len < (1L << 24));
	rewind(f);
	data = test_malloc((size_t)len + 1);
	assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
	data[len] = '\0';
	fclose(f);
	*ret_data = data;
	return (size_t)len;
}
