// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Plugin options: the const volatile globals of a plugin's BPF code. Values
 * are checked and converted when set, kept in the plugin, and written into the
 * object's .rodata each time it is opened, before load freezes them.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "log_internal.h"
#include "runtime_internal.h"

const struct emf_option *emf_plugin__option(const struct emf_plugin *plugin, const char *name)
{
	uint32_t i;

	for (i = 0; i < plugin->desc->n_options; i++)
		if (!strcmp(plugin->desc->options[i].name, name))
			return &plugin->desc->options[i];
	return emf_err_ptr(-ENOENT);
}

static int store(struct emf_plugin *p, const struct emf_option *o, const void *val)
{
	size_t idx = o - p->desc->options;
	void *copy;

	if (!p->opt_vals) {
		p->opt_vals = calloc(p->desc->n_options, sizeof(*p->opt_vals));
		if (!p->opt_vals)
			return -ENOMEM;
	}
	copy = malloc(o->size);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, val, o->size);
	free(p->opt_vals[idx]);
	p->opt_vals[idx] = copy;
	/* Already opened: write it now; emf__options_apply() does it at the next open. */
	if (p->state == EMF_PLUGIN_OPENED)
		return emf__options_apply(p);
	return 0;
}

static int lookup(struct emf_plugin *p, const char *name, const struct emf_option **o)
{
	if (p->state == EMF_PLUGIN_LOADED || p->state == EMF_PLUGIN_ATTACHED) {
		pr_warn("options: cannot set option %s of plugin '%s': it is loaded, and const volatile globals are read-only then; set it before start\n",
			name, p->desc->name);
		return -EMF_ERRNO__STATE;
	}
	*o = emf_plugin__option(p, name);
	if (!*o) {
		pr_warn("options: plugin '%s' has no option '%s'\n", p->desc->name, name);
		return -ENOENT;
	}
	return 0;
}

int emf_plugin__set_option_raw(struct emf_plugin *plugin, const char *name, const void *value,
			       size_t size)
{
	const struct emf_option *o;
	int err = lookup(plugin, name, &o);

	if (err)
		return emf_err(err);
	if (size != o->size || o->kind == EMF_FIELD_STRING) {
		pr_warn("options: option %s of plugin '%s' is %s (%u bytes), not %zu bytes\n", name,
			plugin->desc->name, o->type_name, o->size, size);
		return emf_err(-EINVAL);
	}
	return emf_err(store(plugin, o, value));
}

static int parse_bool(const char *s, uint8_t *v)
{
	static const char *const yes[] = { "1", "true", "yes", "on" }, *const no[] = { "0", "false",
										"no", "off" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*v = 1;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*v = 0;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_int(const struct emf_option *o, const char *s, uint64_t *out)
{
	bool is_signed = o->kind == EMF_FIELD_INT || o->kind == EMF_FIELD_CHAR;
	unsigned int bits = o->size * 8;
	char *end;

	errno = 0;
	if (is_signed) {
		long long v = strtoll(s, &end, 0);
		long long max = bits == 64 ? INT64_MAX : (1LL << (bits - 1)) - 1;

		if (errno || *end || !*s || v > max || v < -max - 1)
			return -ERANGE;
		*out = (uint64_t)v;
	} else {
		unsigned long long v = strtoull(s, &end, 0);
		unsigned long long max = bits == 64 ? UINT64_MAX : (1ULL << bits) - 1;

		if (errno || *end || !*s || v > max || strchr(s, '-'))
			return -ERANGE;
		*out = v;
	}
	return 0;
}

int emf_plugin__set_option(struct emf_plugin *plugin, const char *name, const char *value)
{
	const struct emf_option *o;
	unsigned char buf[64] = {};
	uint64_t v = 0;
	uint32_t i;
	int err = lookup(plugin, name, &o);

	if (err)
		return emf_err(err);
	if (o->size > sizeof(buf) && o->kind != EMF_FIELD_STRING)
		return emf_err(-EINVAL);
	switch (o->kind) {
	case EMF_FIELD_STRING: {
		size_t n = strlen(value);
		char *s;

		if (n >= o->count) {
			pr_warn("options: value of %s.%s is %zu characters long; at most %u fit\n",
				plugin->desc->name, name, n, o->count - 1);
			return emf_err(-ERANGE);
		}
		s = calloc(1, o->size);
		if (!s)
			return emf_err(-ENOMEM);
		memcpy(s, value, n);
		err = store(plugin, o, s);
		free(s);
		return emf_err(err);
	}
	case EMF_FIELD_BOOL:
		if (parse_bool(value, buf)) {
			pr_warn("options: value '%s' of %s.%s is not a bool (true/false, 1/0, yes/no, on/off)\n",
				value, plugin->desc->name, name);
			return emf_err(-EINVAL);
		}
		break;
	case EMF_FIELD_FLOAT: {
		char *end;
		double d;

		errno = 0;
		d = strtod(value, &end);
		if (errno || *end || !*value) {
			pr_warn("options: value '%s' of %s.%s is not a number\n", value,
				plugin->desc->name, name);
			return emf_err(-EINVAL);
		}
		if (o->size == 4) {
			float f = (float)d;

			memcpy(buf, &f, 4);
		} else {
			memcpy(buf, &d, 8);
		}
		break;
	}
	case EMF_FIELD_ENUM:
		for (i = 0; i < o->n_enum_values; i++) {
			if (!strcmp(o->enum_values[i].name, value)) {
				v = (uint64_t)o->enum_values[i].value;
				break;
			}
		}
		if (i == o->n_enum_values && parse_int(o, value, &v)) {
			pr_warn("options: value '%s' of %s.%s is neither a name of %s nor a number in range\n",
				value, plugin->desc->name, name, o->type_name);
			return emf_err(-EINVAL);
		}
		memcpy(buf, &v, o->size);
		break;
	case EMF_FIELD_INT:
	case EMF_FIELD_UINT:
	case EMF_FIELD_CHAR:
		if (parse_int(o, value, &v)) {
			pr_warn("options: value '%s' of %s.%s is not %s integer that fits in %u bytes\n",
				value, plugin->desc->name, name,
				o->kind == EMF_FIELD_UINT ? "a non-negative" : "an", o->size);
			return emf_err(-ERANGE);
		}
		memcpy(buf, &v, o->size); /* little endian, as the BPF target here */
		break;
	default:
		pr_warn("options: option %s of plugin '%s' cannot be set from text\n", name,
			plugin->desc->name);
		return emf_err(-EINVAL);
	}
	return emf_err(store(plugin, o, buf));
}

/* EMF_HOST_FILTER's global, as <emf/emf.bpf.h> declares it. */
#define EMF_HOST_TGID_VAR "__emf_host_tgid"

/* Offset in .rodata of 4-byte global @name, or -1 when the object has none. */
static long rodata_u32(struct bpf_object *obj, const char *name)
{
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *t;
	int id, i;

	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -1;
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(t);
	for (i = 0; i < btf_vlen(t); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);

		if (!strcmp(btf__name_by_offset(btf, var->name_off), name))
			return vs->size == 4 ? (long)vs->offset : -1;
	}
	return -1;
}

int emf__options_apply(struct emf_plugin *p)
{
	struct bpf_object *obj = emf_plugin__object(p);
	long host = obj && p->rt->exclude_host ? rodata_u32(obj, EMF_HOST_TGID_VAR) : -1;
	struct bpf_map *map;
	const void *cur;
	char *data;
	size_t size;
	uint32_t i;
	int err;

	if (!p->opt_vals && host < 0)
		return 0;
	map = obj ? bpf_object__find_map_by_name(obj, ".rodata") : NULL;
	cur = map ? bpf_map__initial_value(map, &size) : NULL;
	if (!cur) {
		pr_warn("options: plugin '%s' has no .rodata to hold its options\n", p->desc->name);
		return -ENOENT;
	}
	data = malloc(size);
	if (!data)
		return -ENOMEM;
	memcpy(data, cur, size);
	/* EMF_HOST_FILTER of <emf/emf.bpf.h>: tell the BPF code which process is the host. */
	if (host >= 0 && (size_t)host + 4 <= size) {
		uint32_t tgid = getpid();

		memcpy(data + host, &tgid, 4);
	}
	for (i = 0; p->opt_vals && i < p->desc->n_options; i++) {
		const struct emf_option *o = &p->desc->options[i];

		if (!p->opt_vals[i])
			continue;
		if (o->offset + o->size > size) {
			free(data);
			return -EINVAL;
		}
		memcpy(data + o->offset, p->opt_vals[i], o->size);
	}
	err = bpf_map__set_initial_value(map, data, size);
	free(data);
	if (err)
		pr_warn("options: failed to write the options of plugin '%s': %s\n", p->desc->name,
			emf_strerror(err));
	return err;
}

void emf__options_free(struct emf_plugin *p)
{
	uint32_t i;

	if (!p->opt_vals)
		return;
	for (i = 0; i < p->desc->n_options; i++)
		free(p->opt_vals[i]);
	free(p->opt_vals);
	p->opt_vals = NULL;
}
