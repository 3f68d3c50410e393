/* netcheck: helpers every cmocka unit test shares (tests/helpers.c, linked
 * into each one by tests/meson.build).  Include after <cmocka.h>. */
#ifndef NETCHECK_TESTS_HELPERS_H
#define NETCHECK_TESTS_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "netcheck/endpoint.h"

/* An endpoint from text; fails the test if it does not parse. */
nc_endpoint_t ep(const char *addr, uint16_t port);
/* The same from "a.b.c.d:port" or "v6addr:port" (the last colon splits). */
nc_endpoint_t ep_str(const char *addr_port);

/* jansson's allocator through cmocka's, so a leaked json_t fails the test:
 * json_set_alloc_funcs(json_test_malloc, json_test_free). */
void *json_test_malloc(size_t size);
void json_test_free(void *ptr);

/* Reads $NC_FIXTURES/name whole.  *ret_data: new (test_malloc); the test
 * fails if the file is missing.  Returns its length. */
size_t fixture_bytes(const char *name, char **ret_data);

#endif
