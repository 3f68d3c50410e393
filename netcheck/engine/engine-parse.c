/* Pure parsers for Engine API answers.  Every field is optional until
 * proven otherwise: engines differ (Docker, Podman, Desktop) and answers
 * are untrusted, so strings are copied bounded and types are checked. */
#include "engine-internal.h"

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

/* "80/tcp", "53/udp" */
static int parse_port_proto(const char *key, unsigned *ret_port, nc_engine_proto_t *ret_proto)
{
	char *end;
	unsigned long p = strtoul(key, &end, 10);

	if (end == key || p == 0 || p > 65535)
		return -EINVAL;
	if (strcmp(end, "/tcp") == 0)
		*ret_proto = NC_ENGINE_TCP;
	else if (strcmp(end, "/udp") == 0)
		*ret_proto = NC_ENGINE_UDP;
	else
		return -EINVAL;
	*ret_port = (unsigned)p;
	return 0;
}

static int parse_port_key(const char *key, unsigned *ret_port)
{
	nc_engine_proto_t proto;

	if (parse_port_proto(key, ret_port, &proto) < 0 || proto != NC_ENGINE_TCP)
		return -EINVAL;
	return 0;
}

static int parse_host_port(const char *hport, uint16_t *ret, nc_error_t *err)
{
	char *end;
	unsigned long hp = strtoul(hport, &end, 10);

	if (*hport == '\0' || *end != '\0' || hp == 0 || hp > 65535)
		return nc_error_set(err, NC_EPROTO, "engine reports a malformed host port '%.16s'", hport);
	*ret = (uint16_t)hp;
	return 0;
}

/* the io.netcheck.* labels of a Labels object, copied */
static void take_labels(const json_t *labels, nc_engine_label_t *ret, size_t max, size_t *ret_n)
{
	const char *key;
	json_t *v;

	*ret_n = 0;
	json_object_foreach((json_t *)labels, key, v) {
		if (strncmp(key, "io.netcheck.", 12) != 0 || !json_is_string(v) || *ret_n >= max)
			continue;
		snprintf(ret[*ret_n].key, sizeof(ret[*ret_n].key), "%s", key);
		copy_json_str(ret[*ret_n].value, sizeof(ret[*ret_n].value), v);
		(*ret_n)++;
	}
}

const char *nc_container_info_label(const nc_container_info_t *info, const char *key)
{
	for (size_t i = 0; i < info->n_labels && i < NC_ENGINE_MAX_LABELS; i++)
		if (strcmp(info->labels[i].key, key) == 0)
			return info->labels[i].value;
	return NULL;
}

/* every network: name, id, addresses; bounded */
static int take_networks(const json_t *nets, uint16_t container_port, nc_container_network_t *ret, size_t *ret_n,
			 nc_error_t *err)
{
	const char *netname;
	json_t *net;

	json_object_foreach((json_t *)nets, netname, net) {
		nc_container_network_t *n;
		const char *ip = json_string_value(json_object_get(net, "IPAddress"));
		const char *ip6 = json_string_value(json_object_get(net, "GlobalIPv6Address"));
		const char *gw = json_string_value(json_object_get(net, "Gateway"));

		if (*ret_n >= NC_ENGINE_MAX_NETWORKS)
			break;
		n = &ret[(*ret_n)++];
		snprintf(n->name, sizeof(n->name), "%s", netname);
		copy_json_str(n->network_id, sizeof(n->network_id), json_object_get(net, "NetworkID"));
		if (ip != NULL && *ip != '\0' && nc_endpoint_parse(ip, container_port, &n->ip) < 0)
			return nc_error_set(err, NC_EPROTO, "engine reports a malformed container IP '%.64s'", ip);
		if (ip6 != NULL && *ip6 != '\0' && nc_endpoint_parse(ip6, container_port, &n->ip6) < 0)
			return nc_error_set(err, NC_EPROTO, "engine reports a malformed container IPv6 '%.64s'", ip6);
		if (gw != NULL && *gw != '\0')
			(void)nc_endpoint_parse(gw, 0, &n->gateway);
	}
	return 0;
}

/* every binding of every port, tcp and udp; bounded */
static int take_ports(const json_t *ports, nc_container_info_t *ret, nc_error_t *err)
{
	const char *key;
	json_t *bindings, *b;
	size_t i;

	json_object_foreach((json_t *)ports, key, bindings) {
		nc_engine_proto_t proto;
		unsigned port;

		if (parse_port_proto(key, &port, &proto) < 0)
			continue;
		if (proto == NC_ENGINE_TCP && ret->n_exposed_tcp < NC_ENGINE_MAX_PORTS)
			ret->exposed_tcp[ret->n_exposed_tcp++] = (uint16_t)port;
		json_array_foreach(bindings, i, b) {
			const char *hport = json_string_value(json_object_get(b, "HostPort"));
			nc_container_port_t *p;
			int r;

			if (hport == NULL || ret->n_ports >= NC_ENGINE_MAX_PORTS)
				continue;
			p = &ret->ports[ret->n_ports];
			r = parse_host_port(hport, &p->host_port, err);
			if (r < 0)
				return r;
			p->container_port = (uint16_t)port;
			p->proto = proto;
			copy_json_str(p->host_ip, sizeof(p->host_ip), json_object_get(b, "HostIp"));
			ret->n_ports++;
		}
	}
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
	copy_json_str(ret->status, sizeof(ret->status), json_object_get(json_object_get(j, "State"), "Status"));
	ret->tty = json_is_true(json_object_get(json_object_get(j, "Config"), "Tty"));
	take_labels(json_object_get(json_object_get(j, "Config"), "Labels"), ret->labels, NC_ENGINE_MAX_LABELS,
		    &ret->n_labels);
	state = json_object_get(j, "State");
	ret->running = json_is_true(json_object_get(state, "Running"));
	if (json_is_integer(json_object_get(state, "ExitCode")))
		ret->exit_code = (int)json_integer_value(json_object_get(state, "ExitCode"));
	if (json_is_integer(json_object_get(state, "Pid"))) {
		json_int_t pid = json_integer_value(json_object_get(state, "Pid"));
		ret->pid = pid > 0 && pid < (1 << 30) ? (int)pid : 0;
	}
	ret->paused = json_is_true(json_object_get(state, "Paused"));
	ret->restarting = json_is_true(json_object_get(state, "Restarting"));
	ret->oom_killed = json_is_true(json_object_get(state, "OOMKilled"));
	if (json_is_integer(json_object_get(j, "RestartCount"))) {
		json_int_t n = json_integer_value(json_object_get(j, "RestartCount"));
		ret->restart_count = n > 0 && n < (1 << 30) ? (int)n : 0;
	}
	copy_json_str(ret->started_at, sizeof(ret->started_at), json_object_get(state, "StartedAt"));
	copy_json_str(ret->health, sizeof(ret->health), json_object_get(json_object_get(state, "Health"), "Status"));
	copy_json_str(ret->network_mode, sizeof(ret->network_mode),
		      json_object_get(json_object_get(j, "HostConfig"), "NetworkMode"));
	ns = json_object_get(j, "NetworkSettings");
	nets = json_object_get(ns, "Networks");
	if (take_networks(nets, container_port, ret->networks, &ret->n_networks, err) < 0 ||
	    take_ports(json_object_get(ns, "Ports"), ret, err) < 0)
		return NC_EPROTO;
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
			uint16_t hp;

			if (hport == NULL)
				continue;
			if (parse_host_port(hport, &hp, err) < 0)
				return NC_EPROTO;
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

/* text → json_t for the text entry points; *ret new */
static int load_text(const char *text, size_t len, const char *what, json_t **ret, nc_error_t *err)
{
	json_error_t jerr;

	*ret = json_loadb(text, len, 0, &jerr);
	if (*ret == NULL)
		return nc_error_set(err, NC_EPROTO, "malformed JSON in the engine's %s answer: %s (line %d)", what,
				    jerr.text, jerr.line);
	return 0;
}

/* the body of each text entry point: text → json_t → call (a parser of j) */
#define PARSE_TEXT(what, call)                                    \
	do {                                                      \
		json_t *j;                                        \
		int r_ = load_text(text, len, what, &j, err);     \
		if (r_ < 0)                                       \
			return r_;                                \
		r_ = call;                                        \
		json_decref(j);                                   \
		return r_;                                        \
	} while (0)

int nc_engine_parse_version_text(const char *text, size_t len, nc_engine_version_t *ret, nc_error_t *err)
{
	PARSE_TEXT("/version", nc_engine_parse_version(j, ret, err));
}

int nc_engine_parse_info_text(const char *text, size_t len, nc_engine_info_t *ret, nc_error_t *err)
{
	PARSE_TEXT("/info", nc_engine_parse_info(j, ret, err));
}

int nc_engine_parse_inspect_text(const char *text, size_t len, uint16_t container_port, nc_container_info_t *ret,
				 nc_error_t *err)
{
	PARSE_TEXT("container inspect", nc_engine_parse_inspect(j, container_port, ret, err));
}

int nc_engine_parse_network_text(const char *text, size_t len, nc_network_info_t *ret, nc_error_t *err)
{
	PARSE_TEXT("network inspect", nc_engine_parse_network(j, ret, err));
}

int nc_engine_parse_network(const json_t *j, nc_network_info_t *ret, nc_error_t *err)
{
	const json_t *cfg;
	size_t i;

	memset(ret, 0, sizeof(*ret));
	if (!json_is_object(j))
		return nc_error_set(err, NC_EPROTO, "engine's network inspect answer is not a JSON object");
	copy_json_str(ret->id, sizeof(ret->id), json_object_get(j, "Id"));
	copy_json_str(ret->name, sizeof(ret->name), json_object_get(j, "Name"));
	copy_json_str(ret->driver, sizeof(ret->driver), json_object_get(j, "Driver"));
	copy_json_str(ret->scope, sizeof(ret->scope), json_object_get(j, "Scope"));
	if (ret->id[0] == '\0')
		return nc_error_set(err, NC_EPROTO, "engine's network inspect answer has no Id");
	ret->ipv6 = json_is_true(json_object_get(j, "EnableIPv6"));
	ret->internal = json_is_true(json_object_get(j, "Internal"));
	ret->attachable = json_is_true(json_object_get(j, "Attachable"));
	json_array_foreach(json_object_get(json_object_get(j, "IPAM"), "Config"), i, cfg) {
		const char *subnet = json_string_value(json_object_get(cfg, "Subnet"));
		bool v6 = subnet != NULL && strchr(subnet, ':') != NULL;

		if (subnet == NULL)
			continue;
		if (v6 && ret->subnet6[0] == '\0') {
			snprintf(ret->subnet6, sizeof(ret->subnet6), "%s", subnet);
			copy_json_str(ret->gateway6, sizeof(ret->gateway6), json_object_get(cfg, "Gateway"));
		} else if (!v6 && ret->subnet4[0] == '\0') {
			snprintf(ret->subnet4, sizeof(ret->subnet4), "%s", subnet);
			copy_json_str(ret->gateway4, sizeof(ret->gateway4), json_object_get(cfg, "Gateway"));
		}
	}
	if (strcmp(ret->driver, "bridge") == 0) {
		const char *bridge = json_string_value(
			json_object_get(json_object_get(j, "Options"), "com.docker.network.bridge.name"));

		/* docker0 names itself in Options; libnetwork names the others
		 * "br-" + the first 12 characters of the id */
		if (bridge != NULL && *bridge != '\0')
			snprintf(ret->bridge, sizeof(ret->bridge), "%.15s", bridge);
		else
			snprintf(ret->bridge, sizeof(ret->bridge), "br-%.12s", ret->id);
	}
	return 0;
}

/* runs take(item, &ret[n]) over a JSON array, bounded by max; returns the array's size */
#define PARSE_LIST(j, ret, max, ret_n, what, take)                                                                 \
	do {                                                                                                        \
		const json_t *item_;                                                                                \
		size_t i_;                                                                                          \
		*(ret_n) = 0;                                                                                       \
		if (!json_is_array(j))                                                                              \
			return nc_error_set(err, NC_EPROTO, "engine's %s answer is not a JSON array", what);        \
		json_array_foreach((j), i_, item_) {                                                                \
			if (*(ret_n) >= (max))                                                                      \
				break;                                                                              \
			memset(&(ret)[*(ret_n)], 0, sizeof((ret)[0]));                                               \
			if (take(item_, &(ret)[*(ret_n)]))                                                          \
				(*(ret_n))++;                                                                       \
		}                                                                                                   \
		return json_array_size(j) > INT32_MAX ? INT32_MAX : (int)json_array_size(j);                        \
	} while (0)

static void take_run_labels(const json_t *labels, nc_container_summary_t *c)
{
	copy_json_str(c->run, sizeof(c->run), json_object_get(labels, "io.netcheck.run"));
	copy_json_str(c->pid, sizeof(c->pid), json_object_get(labels, "io.netcheck.pid"));
	copy_json_str(c->scope, sizeof(c->scope), json_object_get(labels, "io.netcheck.scope"));
	c->keep = json_object_get(labels, "io.netcheck.keep") != NULL;
	/* a Compose project's service (netcheck probe --project) */
	copy_json_str(c->service, sizeof(c->service), json_object_get(labels, "com.docker.compose.service"));
}

static bool take_container(const json_t *item, nc_container_summary_t *c)
{
	const json_t *labels = json_object_get(item, "Labels");
	const char *name = json_string_value(json_array_get(json_object_get(item, "Names"), 0));
	const json_t *created = json_object_get(item, "Created");

	copy_json_str(c->id, sizeof(c->id), json_object_get(item, "Id"));
	if (c->id[0] == '\0')
		return false;
	snprintf(c->name, sizeof(c->name), "%s", name == NULL ? "" : name[0] == '/' ? name + 1 : name);
	copy_json_str(c->state, sizeof(c->state), json_object_get(item, "State"));
	c->created = json_is_integer(created) ? (int64_t)json_integer_value(created) : 0;
	take_run_labels(labels, c);
	return true;
}

/* A service (ID, Spec.Name, Spec.Labels) or a network (Id, Name, Labels):
 * what netcheck's labels say; created stays 0 (the engine gives text). */
static bool take_labelled(const json_t *item, nc_container_summary_t *c)
{
	const json_t *spec = json_object_get(item, "Spec");
	const json_t *named = spec != NULL ? spec : item;

	copy_json_str(c->id, sizeof(c->id), json_object_get(item, spec != NULL ? "ID" : "Id"));
	if (c->id[0] == '\0')
		return false;
	copy_json_str(c->name, sizeof(c->name), json_object_get(named, "Name"));
	take_run_labels(json_object_get(named, "Labels"), c);
	return true;
}

/* A listed container's bindings (Ports: IP, PrivatePort, PublicPort, Type)
 * and its networks' addresses; one the engine lists malformed is left out. */
static bool take_listed(const json_t *item, nc_container_listed_t *c)
{
	const char *name = json_string_value(json_array_get(json_object_get(item, "Names"), 0));
	const json_t *b;
	size_t i;

	copy_json_str(c->id, sizeof(c->id), json_object_get(item, "Id"));
	if (c->id[0] == '\0')
		return false;
	snprintf(c->name, sizeof(c->name), "%s", name == NULL ? "" : name[0] == '/' ? name + 1 : name);
	json_array_foreach(json_object_get(item, "Ports"), i, b) {
		json_int_t private_port = json_integer_value(json_object_get(b, "PrivatePort"));
		json_int_t public_port = json_integer_value(json_object_get(b, "PublicPort"));
		const char *type = json_string_value(json_object_get(b, "Type"));
		nc_container_port_t *p;

		if (c->n_ports >= NC_ENGINE_MAX_PORTS)
			break;
		if (private_port <= 0 || private_port > 65535 || public_port <= 0 || public_port > 65535)
			continue; /* exposed only: no host binding */
		p = &c->ports[c->n_ports++];
		p->container_port = (uint16_t)private_port;
		p->host_port = (uint16_t)public_port;
		p->proto = type != NULL && strcmp(type, "udp") == 0 ? NC_ENGINE_UDP : NC_ENGINE_TCP;
		copy_json_str(p->host_ip, sizeof(p->host_ip), json_object_get(b, "IP"));
	}
	return take_networks(json_object_get(json_object_get(item, "NetworkSettings"), "Networks"), 0, c->networks,
			     &c->n_networks, NULL) == 0;
}

int nc_engine_parse_listed(const json_t *j, nc_container_listed_t *ret, size_t max, size_t *ret_n, nc_error_t *err)
{
	PARSE_LIST(j, ret, max, ret_n, "container list", take_listed);
}

int nc_engine_parse_labelled(const json_t *j, nc_container_summary_t *ret, size_t max, size_t *ret_n,
			     nc_error_t *err)
{
	PARSE_LIST(j, ret, max, ret_n, "service or network list", take_labelled);
}

int nc_engine_parse_containers(const json_t *j, nc_container_summary_t *ret, size_t max, size_t *ret_n,
			       nc_error_t *err)
{
	PARSE_LIST(j, ret, max, ret_n, "container list", take_container);
}

static bool take_image(const json_t *item, nc_image_summary_t *img)
{
	const json_t *tags = json_object_get(item, "RepoTags");
	const json_t *tag;
	size_t i;

	copy_json_str(img->id, sizeof(img->id), json_object_get(item, "Id"));
	if (img->id[0] == '\0')
		return false;
	json_array_foreach(tags, i, tag) {
		if (img->n_tags >= NC_ENGINE_MAX_TAGS)
			break;
		/* a tag too long for the buffer is left out, never cut: a cut
		 * one would name another image */
		if (json_is_string(tag) && json_string_length(tag) < sizeof(img->tags[0]))
			memcpy(img->tags[img->n_tags++], json_string_value(tag), json_string_length(tag) + 1);
	}
	return true;
}

int nc_engine_parse_images(const json_t *j, nc_image_summary_t *ret, size_t max, size_t *ret_n, nc_error_t *err)
{
	PARSE_LIST(j, ret, max, ret_n, "image list", take_image);
}

int nc_engine_parse_swarm(const json_t *info, const json_t *swarm, nc_swarm_info_t *ret, nc_error_t *err)
{
	const json_t *s = json_object_get(info, "Swarm");

	memset(ret, 0, sizeof(*ret));
	if (!json_is_object(info))
		return nc_error_set(err, NC_EPROTO, "engine's /info answer is not a JSON object");
	copy_json_str(ret->local_state, sizeof(ret->local_state), json_object_get(s, "LocalNodeState"));
	ret->active = strcmp(ret->local_state, "active") == 0;
	ret->manager = ret->active && json_is_true(json_object_get(s, "ControlAvailable"));
	copy_json_str(ret->node_id, sizeof(ret->node_id), json_object_get(s, "NodeID"));
	copy_json_str(ret->node_addr, sizeof(ret->node_addr), json_object_get(s, "NodeAddr"));
	/* managers' /info carries Swarm.Cluster.ID too; GET /swarm is the authority */
	copy_json_str(ret->cluster_id, sizeof(ret->cluster_id), json_object_get(json_object_get(s, "Cluster"), "ID"));
	if (swarm != NULL) {
		if (!json_is_object(swarm))
			return nc_error_set(err, NC_EPROTO, "engine's /swarm answer is not a JSON object");
		copy_json_str(ret->cluster_id, sizeof(ret->cluster_id), json_object_get(swarm, "ID"));
	}
	return 0;
}

static bool take_node(const json_t *item, nc_swarm_node_t *n)
{
	const json_t *spec = json_object_get(item, "Spec"), *status = json_object_get(item, "Status");

	copy_json_str(n->id, sizeof(n->id), json_object_get(item, "ID"));
	copy_json_str(n->hostname, sizeof(n->hostname),
		      json_object_get(json_object_get(item, "Description"), "Hostname"));
	copy_json_str(n->address, sizeof(n->address), json_object_get(status, "Addr"));
	copy_json_str(n->state, sizeof(n->state), json_object_get(status, "State"));
	copy_json_str(n->role, sizeof(n->role), json_object_get(spec, "Role"));
	copy_json_str(n->availability, sizeof(n->availability), json_object_get(spec, "Availability"));
	return n->id[0] != '\0';
}

int nc_engine_parse_nodes(const json_t *j, nc_swarm_node_t *ret, size_t max, size_t *ret_n, nc_error_t *err)
{
	PARSE_LIST(j, ret, max, ret_n, "node list", take_node);
}

static bool take_task(const json_t *item, nc_swarm_task_t *t)
{
	const json_t *status = json_object_get(item, "Status"), *att;
	size_t i, k;

	copy_json_str(t->id, sizeof(t->id), json_object_get(item, "ID"));
	copy_json_str(t->node_id, sizeof(t->node_id), json_object_get(item, "NodeID"));
	copy_json_str(t->desired_state, sizeof(t->desired_state), json_object_get(item, "DesiredState"));
	copy_json_str(t->state, sizeof(t->state), json_object_get(status, "State"));
	copy_json_str(t->error, sizeof(t->error), json_object_get(status, "Err"));
	copy_json_str(t->container_id, sizeof(t->container_id),
		      json_object_get(json_object_get(status, "ContainerStatus"), "ContainerID"));
	{
		json_int_t pid = json_integer_value(json_object_get(json_object_get(status, "ContainerStatus"), "PID"));

		t->pid = pid > 0 && pid <= INT32_MAX ? (int)pid : 0;
	}
	json_array_foreach(json_object_get(item, "NetworksAttachments"), i, att) {
		const json_t *a, *net_id = json_object_get(json_object_get(att, "Network"), "ID");

		json_array_foreach(json_object_get(att, "Addresses"), k, a) {
			if (t->n_addresses >= NC_ENGINE_MAX_ADDRS || !json_is_string(a))
				continue;
			copy_json_str(t->addresses[t->n_addresses], sizeof(t->addresses[0]), a);
			copy_json_str(t->address_networks[t->n_addresses], sizeof(t->address_networks[0]), net_id);
			t->n_addresses++;
		}
	}
	json_array_foreach(json_object_get(json_object_get(status, "PortStatus"), "Ports"), i, att) {
		json_int_t port = json_integer_value(json_object_get(att, "PublishedPort"));
		const char *mode = json_string_value(json_object_get(att, "PublishMode"));
		const char *proto = json_string_value(json_object_get(att, "Protocol"));

		if (t->host_port == 0 && port > 0 && port <= 65535 && mode != NULL && strcmp(mode, "host") == 0 &&
		    (proto == NULL || strcmp(proto, "tcp") == 0))
			t->host_port = (uint16_t)port;
	}
	return t->id[0] != '\0';
}

int nc_engine_parse_tasks(const json_t *j, nc_swarm_task_t *ret, size_t max, size_t *ret_n, nc_error_t *err)
{
	PARSE_LIST(j, ret, max, ret_n, "task list", take_task);
}

/* appends n bytes to a buffer that keeps the newest len - 1 bytes */
static void keep_tail(char *buf, size_t len, size_t *used, const char *p, size_t n)
{
	size_t room = len - 1;

	if (n >= room) {
		memcpy(buf, p + n - room, room);
		*used = room;
		return;
	}
	if (*used + n > room) {
		size_t drop = *used + n - room;

		memmove(buf, buf + drop, *used - drop);
		*used -= drop;
	}
	memcpy(buf + *used, p, n);
	*used += n;
}

int nc_engine_parse_logs_text(const char *raw, size_t len, bool tty, char *ret_buf, size_t buf_len)
{
	size_t used = 0, off = 0;

	if (ret_buf == NULL || buf_len == 0)
		return -EINVAL;
	ret_buf[0] = '\0';
	if (tty) {
		keep_tail(ret_buf, buf_len, &used, raw, len);
	} else {
		while (off < len) {
			const unsigned char *h = (const unsigned char *)raw + off;
			size_t size;

			/* stream (0 stdin, 1 stdout, 2 stderr), three zero bytes, size */
			if (len - off < 8 || h[0] > 2 || h[1] != 0 || h[2] != 0 || h[3] != 0)
				return NC_EPROTO;
			size = (size_t)h[4] << 24 | (size_t)h[5] << 16 | (size_t)h[6] << 8 | h[7];
			off += 8;
			if (size > len - off)
				return NC_EPROTO;
			keep_tail(ret_buf, buf_len, &used, raw + off, size);
			off += size;
		}
	}
	ret_buf[used] = '\0';
	return used > INT32_MAX ? INT32_MAX : (int)used;
}
