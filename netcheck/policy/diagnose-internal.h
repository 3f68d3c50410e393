/* Private to the policy room: diagnose.c's parts. */
#ifndef NETCHECK_DIAGNOSE_INTERNAL_H
#define NETCHECK_DIAGNOSE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "netcheck/policy.h"

/* diagnose-witness.c: the path's diagnosis from the kernel's trace and
 * drop reasons (f->traced); false (p untouched) when they explain nothing. */
bool nc_diagnose_witness(nc_path_t *p, const nc_diag_facts_t *f);
/* For `unexplained`: what the witness looked at, in words, into buf (len
 * bytes), and its observations on d.  Returns the length written. */
size_t nc_diagnose_witness_looked(nc_diagnosis_t *d, const nc_path_t *p, const nc_diag_facts_t *f, char *buf,
				  size_t len);

#endif
