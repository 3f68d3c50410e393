/* What expect.c (--expect) and expect-file.c (--expect-file) share: one
 * vocabulary of values and of path patterns, so the command line and the
 * file accept the same words. */
#ifndef NETCHECK_POLICY_EXPECT_INTERNAL_H
#define NETCHECK_POLICY_EXPECT_INTERNAL_H

#include <stdbool.h>

#include "netcheck/result.h"

/* Adds word (a verdict or a mechanism name) to the sets; -EINVAL when it
 * is neither. */
int expect_add_word(const char *word, unsigned *verdicts, unsigned *mechanisms);
/* The expectation a set of words means: a mechanism other than none means
 * reachable through one of them; every other verdict is accepted as it is
 * (`nat|unreachable`: reachable by NAT, or unreachable). */
nc_expectation_t expect_from_words(unsigned verdicts, unsigned mechanisms);
/* "verdicts: reachable, ...; mechanisms: direct, ..." from the model's names */
void expect_vocabulary(char *buf, size_t len);
/* A path's name, a kind's, a glob that can match one, or a group (direct,
 * published). */
bool expect_pattern_valid(const char *pattern);

#endif
