/* netcheck: allocation hooks for unit tests.
 *
 * Included by every .c after its system headers.  In the unit-test build
 * (meson compiles the libraries a second time with -DNC_UNIT_TESTING) the
 * allocator is cmocka's, so a leak or a double free fails the test. */
#ifndef NETCHECK_TESTING_H
#define NETCHECK_TESTING_H

#include <stdlib.h>

#ifdef NC_UNIT_TESTING
#include <stddef.h>
void *_test_malloc(size_t size, const char *file, int line);
void *_test_calloc(size_t n, size_t size, const char *file, int line);
void *_test_realloc(void *ptr, size_t size, const char *file, int line);
void _test_free(void *ptr, const char *file, int line);
#undef malloc
#undef calloc
#undef realloc
#undef free
#define malloc(s) _test_malloc((s), __FILE__, __LINE__)
#define calloc(n, s) _test_calloc((n), (s), __FILE__, __LINE__)
#define realloc(p, s) _test_realloc((p), (s), __FILE__, __LINE__)
#define free(p) _test_free((p), __FILE__, __LINE__)
#endif

#endif
