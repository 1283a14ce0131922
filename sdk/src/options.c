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

/* Is @a the same name as @b, '-' and '_' alike? */
static bool same_name(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_')))
			return false;
	return !*a && !*b;
}

const struct emf_option *emf_plugin__option(const struct emf_plugin *plugin, const char *name)
{
	const struct emf_plugin_desc *d = plugin->desc;
	uint32_t i;

	for (i = 0; i < d->n_options; i++)
		if (!strcmp(d->options[i].name, name))
			return &d->options[i];
	/* Its command-line spelling: "uid" or "failed-only" as emf-agent PLUGIN --help shows. */
	for (i = 0; i < d->n_options; i++)
		if (same_name(d->options[i].name, name) ||
		    (d->options[i].long_name && same_name(d->options[i].long_name, name)))
			return &d->options[i];
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

static bool is_signed(const struct emf_option *o)
{
	return o->kind == EMF_FIELD_INT || o->kind == EMF_FIELD_CHAR;
}

/* The values an integer option takes, for messages: "an integer from 0 to 65535". */
static const char *int_range(const struct emf_option *o, char *buf, size_t n)
{
	unsigned int bits = o->size * 8;

	if (is_signed(o))
		snprintf(buf, n, "an integer from %lld to %lld",
			 bits == 64 ? INT64_MIN : -(1LL << (bits - 1)),
			 bits == 64 ? INT64_MAX : (1LL << (bits - 1)) - 1);
	else
		snprintf(buf, n, "an integer from 0 to %llu",
			 bits == 64 ? UINT64_MAX : (1ULL << bits) - 1);
	return buf;
}

/* "option target_uid (--uid, uid) of plugin 'execsnoop'" */
static const char *option_what(const struct emf_plugin *p, const struct emf_option *o, char *buf,
			       size_t n)
{
	const char *ln = o->long_name && strcmp(o->long_name, o->name) ? o->long_name : NULL;
	const char *ft = o->friendly_type ?: o->type_name;

	snprintf(buf, n, "option %s (%s%s%s%s) of plugin '%s'", o->name, ln ? "--" : "",
		 ln ?: "", ln ? ", " : "", ft, p->desc->name);
	return buf;
}

static int parse_int(const struct emf_option *o, const char *s, uint64_t *out)
{
	unsigned int bits = o->size * 8;
	char *end;

	errno = 0;
	if (is_signed(o)) {
		long long v = strtoll(s, &end, 0);
		long long max = bits == 64 ? INT64_MAX : (1LL << (bits - 1)) - 1;

		if (errno || *end || !*s || v > max || v < -max - 1)
			return -ERANGE;
		*out = (uint64_t)v;
	} else {
		unsigned long long v = strtoull(s, &end, 0);
		unsigned long long max = bits == 64 ? UINT64_MAX : (1ULL << bits) - 1;

		/* (uid_t)-1 and the like: all ones, as C converts it. */
		if (!strcmp(s, "-1")) {
			*out = max;
			return 0;
		}

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
	char what[256], range[64];
	uint64_t v = 0;
	uint32_t i;
	int err = lookup(plugin, name, &o);

	if (err)
		return emf_err(err);
	option_what(plugin, o, what, sizeof(what));
	if (o->size > sizeof(buf) && o->kind != EMF_FIELD_STRING)
		return emf_err(-EINVAL);
	switch (o->kind) {
	case EMF_FIELD_STRING: {
		size_t n = strlen(value);
		char *s;

		if (n >= o->count) {
			pr_warn("options: invalid value for %s: it is %zu characters long; at most %u fit\n",
				what, n, o->count - 1);
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
			pr_warn("options: invalid value '%s' for %s: expected true or false (or 1/0, yes/no, on/off)\n",
				value, what);
			return emf_err(-EINVAL);
		}
		break;
	case EMF_FIELD_FLOAT: {
		char *end;
		double d;

		errno = 0;
		d = strtod(value, &end);
		if (errno || *end || !*value) {
			pr_warn("options: invalid value '%s' for %s: expected a number\n", value,
				what);
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
			pr_warn("options: invalid value '%s' for %s: expected a name of %s or %s\n",
				value, what, o->type_name, int_range(o, range, sizeof(range)));
			return emf_err(-EINVAL);
		}
		memcpy(buf, &v, o->size);
		break;
	case EMF_FIELD_INT:
	case EMF_FIELD_UINT:
	case EMF_FIELD_CHAR:
		if (parse_int(o, value, &v)) {
			pr_warn("options: invalid value '%s' for %s: expected %s\n", value, what,
				int_range(o, range, sizeof(range)));
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
