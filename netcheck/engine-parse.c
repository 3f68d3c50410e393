/* Pure parsers for Engine API answers.  Every field is optional until
 * proven otherwise: engines differ (Docker, Podman, Desktop) and answers
 * are untrusted, so strings are copied bounded and types are checked. */
#include "netcheck/engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcheck/testing.h"

static void copy_json_str(char *dst, size_t len, const json_t *v)
{
	const char *s = json_string_value(v);

	snprintf(dst, len, "%s", s != NULL ? s : "");
}

int nc_engine_api_number(const char *v)
{
	char *end;
	long major, minor;

	if (v == NULL || *v < '0' || *v > '9')
		return -EINVAL;
	major = strtol(v, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return -EINVAL;
	minor = strtol(end + 1, &end, 10);
	if (*end != '\0' || major > 99 || minor > 99)
		return -EINVAL;
	return (int)(major * 100 + minor);
}

int nc_engine_parse_version(const json_t *j, nc_engine_version_t *ret, nc_error_t *err)
{
	const json_t *comps, *c;
	size_t i;

	memset(ret, 0, sizeof(*ret));
	if (!json_is_object(j))
		return nc_error_set(err, NC_EPROTO, "engine's /version answer is not a JSON object");
	copy_json_str(ret->version, sizeof(ret->version), json_object_get(j, "Version"));
	copy_json_str(ret->api_version, sizeof(ret->api_version), json_object_get(j, "ApiVersion"));
	copy_json_str(ret->min_api_version, sizeof(ret->min_api_version), json_object_get(j, "MinAPIVersion"));
	copy_json_str(ret->os, sizeof(ret->os), json_object_get(j, "Os"));
	copy_json_str(ret->arch, sizeof(ret->arch), json_object_get(j, "Arch"));
	copy_json_str(ret->kernel, sizeof(ret->kernel), json_object_get(j, "KernelVersion"));
	copy_json_str(ret->platform_name, sizeof(ret->platform_name),
		      json_object_get(json_object_get(j, "Platform"), "Name"));
	comps = json_object_get(j, "Components");
	json_array_foreach(comps, i, c) {
		const char *name = json_string_value(json_object_get(c, "Name"));
		if (name != NULL && strstr(name, "Podman") != NULL)
			ret->podman = true;
	}
	if (ret->api_version[0] == '\0')
		return nc_error_set(err, NC_EPROTO, "engine's /version answer has no ApiVersion");
	return 0;
}

int nc_engine_parse_info(const json_t *j, nc_engine_info_t *ret, nc_error_t *err)
{
	const json_t *opts, *o;
	size_t i;

	memset(ret, 0, sizeof(*ret));
	if (!json_is_object(j))
		return nc_error_set(err, NC_EPROTO, "engine's /info answer is not a JSON object");
	copy_json_str(ret->name, sizeof(ret->name), json_object_get(j, "Name"));
	copy_json_str(ret->operating_system, sizeof(ret->operating_system), json_object_get(j, "OperatingSystem"));
	copy_json_str(ret->kernel, sizeof(ret->kernel), json_object_get(j, "KernelVersion"));
	opts = json_object_get(j, "SecurityOptions");
	json_array_foreach(opts, i, o) {
		const char *s = json_string_value(o);
		if (s != NULL && strstr(s, "name=rootless") != NULL)
			ret->rootless = true;
	}
	/* Podman's compat /info says it at the top ("Rootless": true), its
	 * libpod /info under host.security */
	if (json_is_true(json_object_get(j, "Rootless")) ||
	    json_is_true(json_object_get(json_object_get(json_object_get(j, "host"), "security"), "rootless")))
		ret->rootless = true;
	return 0;
}

static int parse_port_key(const char *key, unsigned *ret_port)
{
	char *end;
	unsigned long p = strtoul(key, &end, 10);

	if (end == key || p == 0 || p > 65535 || strcmp(end, "/tcp") != 0)
		return -EINVAL;
	*ret_port = (unsigned)p;
	return 0;
}

int nc_engine_parse_inspect(const json_t *j, uint16_t container_port, nc_container_info_t *ret, nc_error_t *err)
{
	const json_t *state, *ns, *nets, *net, *ports, *bindings, *b;
	uint16_t v4_port = 0;
	const char *netname, *key;
	size_t i;

	memset(ret, 0, sizeof(*ret));
	if (!json_is_object(j))
		return nc_error_set(err, NC_EPROTO, "engine's container inspect answer is not a JSON object");
	copy_json_str(ret->id, sizeof(ret->id), json_object_get(j, "Id"));
	copy_json_str(ret->name, sizeof(ret->name), json_object_get(j, "Name"));
	copy_json_str(ret->hostname, sizeof(ret->hostname),
		      json_object_get(json_object_get(j, "Config"), "Hostname"));
	copy_json_str(ret->image, sizeof(ret->image), json_object_get(json_object_get(j, "Config"), "Image"));
	if (ret->id[0] == '\0')
		return nc_error_set(err, NC_EPROTO, "engine's container inspect answer has no Id");
	state = json_object_get(j, "State");
	ret->running = json_is_true(json_object_get(state, "Running"));
	if (json_is_integer(json_object_get(state, "ExitCode")))
		ret->exit_code = (int)json_integer_value(json_object_get(state, "ExitCode"));
	if (json_is_integer(json_object_get(state, "Pid"))) {
		json_int_t pid = json_integer_value(json_object_get(state, "Pid"));
		ret->pid = pid > 0 && pid < (1 << 30) ? (int)pid : 0;
	}
	ns = json_object_get(j, "NetworkSettings");
	nets = json_object_get(ns, "Networks");
	json_object_foreach((json_t *)nets, netname, net) {
		const char *ip = json_string_value(json_object_get(net, "IPAddress"));
		const char *gw = json_string_value(json_object_get(net, "Gateway"));

		if (ip == NULL || *ip == '\0')
			continue;
		if (nc_endpoint_parse(ip, container_port, &ret->ip) < 0)
			return nc_error_set(err, NC_EPROTO, "engine reports a malformed container IP '%.64s'", ip);
		if (gw != NULL && *gw != '\0')
			(void)nc_endpoint_parse(gw, 0, &ret->gateway);
		snprintf(ret->network, sizeof(ret->network), "%s", netname);
		break;
	}
	ports = json_object_get(ns, "Ports");
	json_object_foreach((json_t *)ports, key, bindings) {
		unsigned port;

		/* container_port 0: the first published TCP port, whatever it is */
		if (parse_port_key(key, &port) < 0 || (container_port != 0 && port != container_port) ||
		    (container_port == 0 && ret->ip.port != 0 && port != ret->ip.port))
			continue;
		if (container_port == 0 && json_array_size(bindings) > 0)
			ret->ip.port = (uint16_t)port;
		json_array_foreach(bindings, i, b) {
			const char *hip = json_string_value(json_object_get(b, "HostIp"));
			const char *hport = json_string_value(json_object_get(b, "HostPort"));
			char *end;
			unsigned long hp;

			if (hport == NULL)
				continue;
			hp = strtoul(hport, &end, 10);
			if (*end != '\0' || hp == 0 || hp > 65535)
				return nc_error_set(err, NC_EPROTO, "engine reports a malformed host port '%.16s'", hport);
			/* Docker lists 0.0.0.0 and :: apart, and after a restart
			 * 20.10 may even give them different host ports */
			if (hip != NULL && strchr(hip, ':') != NULL) {
				if (ret->published_port6 == 0)
					ret->published_port6 = (uint16_t)hp;
			} else if (v4_port == 0) {
				v4_port = (uint16_t)hp;
				snprintf(ret->published_ip, sizeof(ret->published_ip), "%s", hip ? hip : "");
			}
		}
	}
	ret->published_port = v4_port ? v4_port : ret->published_port6;
	return 0;
}
