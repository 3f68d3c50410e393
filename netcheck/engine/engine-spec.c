/* Request bodies of the typed calls: plain-data specs → the JSON the
 * Engine API expects.  Pure (no I/O), so the unit tests check each body.
 * Bounded by the specs' own arrays; counts above them are refused.
 * May call: jansson.  Never prints. */
#include "engine-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netcheck/testing.h"

const char *nc_engine_proto_name(nc_engine_proto_t p)
{
	return p == NC_ENGINE_UDP ? "udp" : "tcp";
}

/* obj[key] = new (takes ownership of new); false when out of memory */
static bool put(json_t *obj, const char *key, json_t *value)
{
	return value != NULL && json_object_set_new(obj, key, value) == 0;
}

static json_t *string_array(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		if (v[i] == NULL || json_array_append_new(a, json_string(v[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *kv_object(const nc_engine_kv_t *kv, size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; o != NULL && i < n; i++)
		if (kv[i].key == NULL || kv[i].value == NULL || !put(o, kv[i].key, json_string(kv[i].value))) {
			json_decref(o);
			return NULL;
		}
	return o;
}

static int check_counts(const char *what, const size_t *counts, const size_t *bounds, size_t n, nc_error_t *err)
{
	for (size_t i = 0; i < n; i++)
		if (counts[i] > bounds[i])
			return nc_error_set(err, -EINVAL, "%s: %zu entries where at most %zu fit", what, counts[i],
					    bounds[i]);
	return 0;
}

/* "80/tcp" */
static void port_key(char *buf, size_t len, uint16_t port, nc_engine_proto_t proto)
{
	snprintf(buf, len, "%u/%s", (unsigned)port, nc_engine_proto_name(proto));
}

int nc_engine_container_spec_json(const nc_container_spec_t *spec, json_t **ret, nc_error_t *err)
{
	const size_t counts[] = { spec->n_cmd, spec->n_labels, spec->n_ports, spec->n_extra_hosts, spec->n_sysctls,
				  spec->n_env, spec->n_cap_add };
	const size_t bounds[] = { NC_ENGINE_MAX_ARGS, NC_ENGINE_MAX_LABELS, NC_ENGINE_MAX_PORTS,
				  NC_ENGINE_MAX_EXTRA_HOSTS, NC_ENGINE_MAX_SYSCTLS, NC_ENGINE_MAX_ENV,
				  NC_ENGINE_MAX_CAP_ADD };
	json_t *body, *host, *exposed, *bindings;
	bool ok;
	int r;

	*ret = NULL;
	if (spec->image == NULL || *spec->image == '\0')
		return nc_error_set(err, -EINVAL, "a container spec needs an image");
	r = check_counts("container spec", counts, bounds, NC_ARRAY_SIZE(counts), err);
	if (r < 0)
		return r;
	body = json_object();
	host = json_object();
	exposed = json_object();
	bindings = json_object();
	ok = body != NULL && host != NULL && exposed != NULL && bindings != NULL;
	for (size_t i = 0; ok && i < spec->n_ports; i++) {
		const nc_container_port_spec_t *p = &spec->ports[i];
		char key[16];
		json_t *list;

		if (p->container_port == 0) {
			json_decref(body), json_decref(host), json_decref(exposed), json_decref(bindings);
			return nc_error_set(err, -EINVAL, "a container spec exposes port 0");
		}
		port_key(key, sizeof(key), p->container_port, p->proto);
		ok = put(exposed, key, json_object());
		if (!ok || !p->publish)
			continue;
		list = json_object_get(bindings, key);
		if (list == NULL) {
			ok = put(bindings, key, json_array());
			list = json_object_get(bindings, key);
		}
		if (ok) {
			char hport[8] = "";

			if (p->host_port != 0)
				snprintf(hport, sizeof(hport), "%u", (unsigned)p->host_port);
			/* HostPort "" lets the engine pick */
			ok = json_array_append_new(list, json_pack("{s:s, s:s}", "HostIp",
								   p->host_ip != NULL ? p->host_ip : "", "HostPort",
								   hport)) == 0;
		}
	}
	ok = ok && put(body, "Image", json_string(spec->image));
	if (ok && spec->n_cmd > 0)
		ok = put(body, "Cmd", string_array(spec->cmd, spec->n_cmd));
	if (ok && spec->user != NULL)
		ok = put(body, "User", json_string(spec->user));
	if (ok && spec->n_env > 0)
		ok = put(body, "Env", string_array(spec->env, spec->n_env));
	ok = ok && put(body, "Labels", kv_object(spec->labels, spec->n_labels));
	if (ok && spec->tty)
		ok = put(body, "Tty", json_true());
	if (ok && spec->n_ports > 0)
		ok = put(body, "ExposedPorts", json_incref(exposed));
	ok = ok && put(host, "PortBindings", json_incref(bindings));
	if (ok && spec->network_mode != NULL && *spec->network_mode != '\0')
		ok = put(host, "NetworkMode", json_string(spec->network_mode));
	if (ok && spec->n_extra_hosts > 0)
		ok = put(host, "ExtraHosts", string_array(spec->extra_hosts, spec->n_extra_hosts));
	if (ok && spec->readonly_rootfs)
		ok = put(host, "ReadonlyRootfs", json_true());
	if (ok && spec->cap_drop_all)
		ok = put(host, "CapDrop", json_pack("[s]", "ALL"));
	if (ok && spec->no_new_privileges)
		ok = put(host, "SecurityOpt", json_pack("[s]", "no-new-privileges"));
	if (ok && spec->n_sysctls > 0)
		ok = put(host, "Sysctls", kv_object(spec->sysctls, spec->n_sysctls));
	if (ok && spec->pid_mode != NULL && *spec->pid_mode != '\0')
		ok = put(host, "PidMode", json_string(spec->pid_mode));
	if (ok && spec->n_cap_add > 0)
		ok = put(host, "CapAdd", string_array(spec->cap_add, spec->n_cap_add));
	if (ok && spec->open_stdin)
		ok = put(body, "OpenStdin", json_true()) && put(body, "AttachStdin", json_true()) &&
		     put(body, "AttachStdout", json_true()) && put(body, "AttachStderr", json_true());
	ok = ok && put(body, "HostConfig", json_incref(host));
	json_decref(host);
	json_decref(exposed);
	json_decref(bindings);
	if (!ok) {
		json_decref(body);
		return nc_error_set(err, -ENOMEM, "out of memory building a container spec (or a NULL entry in it)");
	}
	*ret = body;
	return 0;
}

int nc_engine_network_spec_json(const nc_network_spec_t *spec, json_t **ret, nc_error_t *err)
{
	json_t *body;

	*ret = NULL;
	if (spec->name == NULL || *spec->name == '\0')
		return nc_error_set(err, -EINVAL, "a network spec needs a name");
	if (spec->n_labels > NC_ENGINE_MAX_LABELS)
		return nc_error_set(err, -EINVAL, "network spec: too many labels");
	/* CheckDuplicate: a second network of the same name is a conflict, not a twin */
	body = json_pack("{s:s, s:s, s:b, s:b, s:b, s:b, s:o}", "Name", spec->name, "Driver",
			 spec->driver != NULL ? spec->driver : "bridge", "CheckDuplicate", 1, "Attachable",
			 spec->attachable, "EnableIPv6", spec->ipv6, "Internal", spec->internal, "Labels",
			 kv_object(spec->labels, spec->n_labels));
	if (body == NULL)
		return nc_error_set(err, -ENOMEM, "out of memory building a network spec (or a NULL label)");
	*ret = body;
	return 0;
}

int nc_engine_service_spec_json(const nc_service_spec_t *spec, json_t **ret, nc_error_t *err)
{
	const size_t counts[] = { spec->n_cmd, spec->n_labels, spec->n_ports, spec->n_networks };
	const size_t bounds[] = { NC_ENGINE_MAX_ARGS, NC_ENGINE_MAX_LABELS, NC_ENGINE_MAX_PORTS,
				  NC_ENGINE_MAX_NETWORKS };
	json_t *body, *container, *ports, *networks;
	bool ok;
	int r;

	*ret = NULL;
	if (spec->name == NULL || *spec->name == '\0' || spec->image == NULL || *spec->image == '\0')
		return nc_error_set(err, -EINVAL, "a service spec needs a name and an image");
	r = check_counts("service spec", counts, bounds, NC_ARRAY_SIZE(counts), err);
	if (r < 0)
		return r;
	/* Image goes as given: a tag, never rewritten to a digest here */
	container = json_pack("{s:s, s:o}", "Image", spec->image, "Labels", kv_object(spec->labels, spec->n_labels));
	ports = json_array();
	networks = json_array();
	ok = container != NULL && ports != NULL && networks != NULL;
	if (ok && spec->n_cmd > 0)
		ok = put(container, "Command", string_array(spec->cmd, spec->n_cmd));
	for (size_t i = 0; ok && i < spec->n_ports; i++) {
		const nc_service_port_spec_t *p = &spec->ports[i];
		json_t *port = json_pack("{s:s, s:i, s:s}", "Protocol", nc_engine_proto_name(p->proto), "TargetPort",
					 (int)p->target_port, "PublishMode",
					 p->mode == NC_PUBLISH_HOST ? "host" : "ingress");

		ok = port != NULL && p->target_port != 0;
		if (ok && p->published_port != 0)
			ok = put(port, "PublishedPort", json_integer(p->published_port));
		if (!ok) {
			json_decref(port);
			break;
		}
		ok = json_array_append_new(ports, port) == 0; /* takes port, even on failure */
	}
	for (size_t i = 0; ok && i < spec->n_networks; i++)
		ok = spec->networks[i] != NULL &&
		     json_array_append_new(networks, json_pack("{s:s}", "Target", spec->networks[i])) == 0;
	/* a task that fails stays failed (its error is the report's), and a
	 * stopping one gets one second: the service goes away in bounded time */
	if (ok)
		ok = put(container, "StopGracePeriod", json_integer(1000000000));
	body = ok ? json_pack("{s:s, s:o, s:{s:O, s:O, s:{s:s}}, s:{s:{}}, s:{s:s, s:O}}", "Name", spec->name,
			      "Labels", kv_object(spec->labels, spec->n_labels), "TaskTemplate", "ContainerSpec",
			      container, "Networks", networks, "RestartPolicy", "Condition", "none", "Mode", "Global",
			      "EndpointSpec", "Mode", spec->dnsrr ? "dnsrr" : "vip", "Ports", ports)
		  : NULL;
	json_decref(container);
	json_decref(ports);
	json_decref(networks);
	if (body == NULL)
		return nc_error_set(err, -EINVAL, "service spec: a port 0, a NULL entry, or out of memory");
	*ret = body;
	return 0;
}
