/* Private to the policy room: diagnose.c's parts. */
#ifndef NETCHECK_DIAGNOSE_INTERNAL_H
#define NETCHECK_DIAGNOSE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netcheck/policy.h"

/* diagnose-witness.c: the path's diagnosis from the kernel's trace and
 * drop reasons (f->traced); false (p untouched) when they explain nothing. */
bool nc_diagnose_witness(nc_path_t *p, const nc_diag_facts_t *f);
/* For `unexplained`: what the witness looked at, in words, into buf (len
 * bytes), and its observations on d.  Returns the length written. */
size_t nc_diagnose_witness_looked(nc_diagnosis_t *d, const nc_path_t *p, const nc_diag_facts_t *f, char *buf,
				  size_t len);

/* diagnose-conntrack.c: the path's conntrack entry (p->conntrack).
 * _observe cites it (nothing when it was not looked up); _cite does so
 * for the failure codes it explains; _source_lost decides
 * source-address-lost for a reachable path (false, p untouched, when the
 * client's address was kept). */
void nc_diagnose_observe_conntrack(nc_diagnosis_t *d, const nc_path_t *p);
void nc_diagnose_cite_conntrack(nc_path_t *p);
bool nc_diagnose_source_lost(nc_path_t *p);
/* A refused UDP path whose ICMP's sender is known (p->refused_by): the
 * container, this host, or something on the way.  False, p untouched,
 * otherwise. */
bool nc_diagnose_udp_refused(nc_path_t *p, const nc_diag_facts_t *f);
/* diagnose-other.c: other-container-answered for a reachable published
 * path that another container answered (f->others); false, p untouched,
 * when none did or the others were not listed. */
bool nc_diagnose_other_container(nc_path_t *p, const nc_diag_facts_t *f);
/* diagnose-observe.c: the observations a diagnosis cites (d: the path's,
 * borrowed; everything else read only), and the words they share with
 * diagnose.c; diagnose.c: the helpers both read the facts with. */
const char *nc_diagnose_proto_word(nc_path_proto_t proto);
/* The hint of not-listening: where the port is named, for the path. */
const char *nc_diagnose_port_hint(const nc_path_t *p);
const char *nc_diagnose_state_word(const nc_diag_facts_t *f);
void nc_diagnose_observe_container(nc_diagnosis_t *d, const nc_diag_facts_t *f);
void nc_diagnose_observe_bindings(nc_diagnosis_t *d, const nc_path_t *p, const nc_diag_facts_t *f);
void nc_diagnose_observe_published(nc_diagnosis_t *d, const nc_path_t *p, const nc_diag_facts_t *f);
void nc_diagnose_observe_listener(nc_diagnosis_t *d, const nc_listener_t *l);
void nc_diagnose_observe_listeners(nc_diagnosis_t *d, const nc_path_t *p, const nc_diag_facts_t *f);
void nc_diagnose_observe_forwarder(nc_diagnosis_t *d, const nc_forwarder_t *fwd);
uint32_t nc_diagnose_packets_at(const nc_path_t *p, const char *point);
void nc_diagnose_observe_capture(nc_diagnosis_t *d, const nc_path_t *p, const nc_environment_t *env);
void nc_diagnose_observe_reached(nc_diagnosis_t *d, const nc_path_t *p, const nc_environment_t *env);
void nc_diagnose_observe_reset(nc_diagnosis_t *d, const nc_packet_summary_t *k);
int nc_diagnose_point_kind_of(const nc_environment_t *env, const char *name);
void nc_diagnose_observe_rule(nc_diagnosis_t *d, const nc_fw_drop_t *drop, const char *what);
void nc_diagnose_observe_ruleset(nc_diagnosis_t *d, const nc_path_t *p, const nc_diag_firewall_t *fw);
int nc_diagnose_point_rank(nc_point_kind_t k, nc_path_kind_t path);
int nc_diagnose_point_rank_of(const struct nc_capture_point_summary *cp, const nc_path_t *p);
void nc_diagnose_firewall_rule_words(const nc_fw_drop_t *d, char *buf, size_t len);
/* Whether the ruleset's answers (fw, may be NULL) are about p: the TCP
 * remote path to the published port they were asked for (a target with
 * several published ports has a remote path for each, the ruleset answers
 * for one). */
bool nc_diagnose_firewall_for(const nc_path_t *p, const nc_diag_firewall_t *fw);

#endif
