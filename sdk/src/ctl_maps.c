// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf.maps: read and write a running plugin's maps by name, keys and values
 * typed from the object's BTF (integers, bools, enums by name, char arrays
 * as strings, arrays, structs and unions, bitfields), so that user space can
 * change what BPF code does while it runs:
 *   get  {"map":"PLUGIN.MAP","key":K}        -> V (K defaults to 0)
 *   set  {"map":"PLUGIN.MAP","key":K,"value":V}
 *   dump {"map":"PLUGIN.MAP"}                -> [{"key":K,"value":V},...]
 * Per-CPU values read as an array with one value per possible CPU.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <jansson.h>

#include <emf/errno.h>
#include <emf/runtime.h>

#include "ctl_internal.h"
#include "kernel.h"
#include "log_internal.h"

#define MAPS_DUMP_MAX 100000 /* entries one dump returns at most */

struct maps_ctx {
	struct emf_ctl_err *fails; /* where a failed call leaves its message */
	struct emf_runtime *rt;
	struct emf_bus *bus;
	struct emf_bus_svc *svc;
	const char *err; /* why a conversion failed, for the caller */
};

/* --- BTF -> JSON -------------------------------------------------------- */

static uint64_t get_bits(const unsigned char *p, uint32_t bit_off, uint32_t bits)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < bits; i++) {
		uint32_t b = bit_off + i;

		if (p[b / 8] >> (b % 8) & 1)
			v |= 1ULL << i;
	}
	return v;
}

static json_t *int_json(uint64_t v, uint32_t size, bool is_signed)
{
	if (is_signed && size < 8 && (v >> (size * 8 - 1) & 1))
		v |= ~0ULL << (size * 8);
	return json_integer((json_int_t)v);
}

static uint64_t load_uint(const void *p, uint32_t size)
{
	uint64_t v = 0;

	memcpy(&v, p, size > 8 ? 8 : size); /* little-endian hosts only, as BPF here */
	return v;
}

static json_t *to_json(const struct btf *btf, uint32_t id, const void *data, size_t size)
{
	const struct btf_type *t;
	int rid = btf__resolve_type(btf, id);
	json_t *o;

	t = rid > 0 ? btf__type_by_id(btf, (uint32_t)rid) : NULL;
	if (!t)
		return NULL;
	if (btf_is_int(t)) {
		uint8_t enc = btf_int_encoding(t);

		if (t->size > 8 || t->size > size)
			return NULL;
		if (enc & BTF_INT_BOOL)
			return json_boolean(load_uint(data, t->size));
		return int_json(load_uint(data, t->size), t->size, enc & BTF_INT_SIGNED);
	}
	if (btf_is_enum(t)) {
		uint64_t v = load_uint(data, t->size);
		const struct btf_enum *e = btf_enum(t);

		for (int i = 0; i < btf_vlen(t); i++)
			if ((uint32_t)e[i].val == (uint32_t)v)
				return json_string(btf__name_by_offset(btf, e[i].name_off));
		return int_json(v, t->size, true);
	}
	if (btf_is_ptr(t))
		return json_integer((json_int_t)load_uint(data, 8));
	if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		int eid = btf__resolve_type(btf, a->type);
		const struct btf_type *et = eid > 0 ? btf__type_by_id(btf, (uint32_t)eid) : NULL;
		long esz = btf__resolve_size(btf, a->type);

		if (!et || esz <= 0 || (size_t)esz * a->nelems > size)
			return NULL;
		if (btf_is_int(et) && esz == 1 && !(btf_int_encoding(et) & BTF_INT_BOOL))
			return json_stringn(data, strnlen(data, a->nelems));
		o = json_array();
		for (uint32_t i = 0; o && i < a->nelems; i++)
			if (json_array_append_new(o, to_json(btf, a->type, (const char *)data + i * esz,
							     (size_t)esz)))
				return json_decref(o), NULL;
		return o;
	}
	if (btf_is_composite(t)) {
		const struct btf_member *m = btf_members(t);

		if (t->size > size)
			return NULL;
		o = json_object();
		for (int i = 0; o && i < btf_vlen(t); i++) {
			uint32_t off = btf_member_bit_offset(t, (uint32_t)i);
			uint32_t bits = btf_member_bitfield_size(t, (uint32_t)i);
			const char *name = btf__name_by_offset(btf, m[i].name_off);
			json_t *v;

			if (!name || !*name)
				continue;
			if (bits)
				v = json_integer((json_int_t)get_bits(data, off, bits));
			else
				v = to_json(btf, m[i].type, (const char *)data + off / 8,
					    t->size - off / 8);
			if (!v || json_object_set_new(o, name, v))
				return json_decref(o), NULL;
		}
		return o;
	}
	return NULL;
}

/* --- JSON -> BTF -------------------------------------------------------- */

static int from_json(struct maps_ctx *c, const struct btf *btf, uint32_t id, json_t *j, void *out,
		     size_t size)
{
	const struct btf_type *t;
	int rid = btf__resolve_type(btf, id);
	uint64_t v;

	t = rid > 0 ? btf__type_by_id(btf, (uint32_t)rid) : NULL;
	if (!t)
		return -EINVAL;
	if (btf_is_int(t) || btf_is_enum(t) || btf_is_ptr(t)) {
		uint32_t sz = btf_is_ptr(t) ? 8 : t->size;

		if (sz > 8 || sz > size)
			return -EINVAL;
		if (json_is_boolean(j)) {
			v = json_is_true(j);
		} else if (json_is_integer(j)) {
			v = (uint64_t)json_integer_value(j);
		} else if (btf_is_enum(t) && json_is_string(j)) {
			const struct btf_enum *e = btf_enum(t);
			int i;

			for (i = 0; i < btf_vlen(t); i++)
				if (!strcmp(btf__name_by_offset(btf, e[i].name_off), json_string_value(j)))
					break;
			if (i == btf_vlen(t)) {
				c->err = "not a name of the enum";
				return -EINVAL;
			}
			v = (uint64_t)(int64_t)e[i].val;
		} else {
			c->err = "expected an integer";
			return -EINVAL;
		}
		if (sz < 8 && (int64_t)v >= 0 && v >> (sz * 8)) {
			c->err = "integer out of range of its field";
			return -ERANGE;
		}
		memcpy(out, &v, sz);
		return 0;
	}
	if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		int eid = btf__resolve_type(btf, a->type);
		const struct btf_type *et = eid > 0 ? btf__type_by_id(btf, (uint32_t)eid) : NULL;
		long esz = btf__resolve_size(btf, a->type);

		if (!et || esz <= 0 || (size_t)esz * a->nelems > size)
			return -EINVAL;
		if (btf_is_int(et) && esz == 1 && json_is_string(j)) {
			if (json_string_length(j) >= a->nelems) {
				c->err = "string longer than its char array";
				return -ERANGE;
			}
			/* The whole array: a shorter string leaves no tail of the old one. */
			memset(out, 0, a->nelems);
			memcpy(out, json_string_value(j), json_string_length(j));
			return 0;
		}
		if (!json_is_array(j) || json_array_size(j) > a->nelems) {
			c->err = "expected an array no longer than the field's";
			return -EINVAL;
		}
		for (size_t i = 0; i < json_array_size(j); i++) {
			int err = from_json(c, btf, a->type, json_array_get(j, i),
					    (char *)out + i * (size_t)esz, (size_t)esz);

			if (err)
				return err;
		}
		return 0;
	}
	if (btf_is_composite(t)) {
		const struct btf_member *m = btf_members(t);
		const char *key;
		json_t *mv;

		if (!json_is_object(j)) {
			c->err = "expected an object of the struct's fields";
			return -EINVAL;
		}
		json_object_foreach(j, key, mv) {
			int i, err;

			for (i = 0; i < btf_vlen(t); i++)
				if (!strcmp(btf__name_by_offset(btf, m[i].name_off), key))
					break;
			if (i == btf_vlen(t)) {
				c->err = "no such field";
				return -EINVAL;
			}
			if (btf_member_bitfield_size(t, (uint32_t)i)) {
				c->err = "bitfields cannot be set";
				return -EOPNOTSUPP;
			}
			err = from_json(c, btf, m[i].type, mv,
					(char *)out + btf_member_bit_offset(t, (uint32_t)i) / 8,
					t->size - btf_member_bit_offset(t, (uint32_t)i) / 8);
			if (err)
				return err;
		}
		return 0;
	}
	c->err = "a type emf.maps cannot convert";
	return -EOPNOTSUPP;
}

/* --- the maps ----------------------------------------------------------- */

struct map_ref {
	const struct emf__kernel_ops *k; /* the kernel of the plugin's runtime */
	struct bpf_map *map;
	const struct btf *btf;
	uint32_t key_id, val_id;
	size_t key_size, val_size, val_stride;
	int ncpus; /* per-CPU maps: values per key; 0 otherwise */
	int fd;
};

static bool percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static int map_find(struct maps_ctx *c, struct emf_bus_req *req, json_t *args, struct map_ref *r,
		    char *msg, size_t msg_len)
{
	const char *name = json_string_value(json_object_get(args, "map")), *dot;
	char plugin[256];
	struct emf_plugin *p;
	struct bpf_object *obj;

	(void)req;
	dot = name ? strchr(name, '.') : NULL;
	if (!dot || dot == name || !dot[1] || (size_t)(dot - name) >= sizeof(plugin)) {
		snprintf(msg, msg_len, "give {\"map\":\"PLUGIN.MAP\"}");
		return -EINVAL;
	}
	snprintf(plugin, sizeof(plugin), "%.*s", (int)(dot - name), name);
	p = emf_runtime__find(c->rt, plugin);
	obj = p && emf_plugin__state(p) >= EMF_PLUGIN_LOADED &&
			      emf_plugin__state(p) != EMF_PLUGIN_FAILED
		      ? emf_plugin__object(p)
		      : NULL;
	if (!obj) {
		snprintf(msg, msg_len, "no running plugin named '%.128s'; 'emf-ctl list' shows them",
			 plugin);
		return -ENOENT;
	}
	memset(r, 0, sizeof(*r));
	r->k = emf__runtime_kernel(c->rt);
	r->map = bpf_object__find_map_by_name(obj, dot + 1);
	if (!r->map) {
		snprintf(msg, msg_len, "plugin '%.128s' has no map named '%.128s'", plugin, dot + 1);
		return -ENOENT;
	}
	r->btf = bpf_object__btf(obj);
	r->key_id = bpf_map__btf_key_type_id(r->map);
	r->val_id = bpf_map__btf_value_type_id(r->map);
	r->key_size = bpf_map__key_size(r->map);
	r->val_size = bpf_map__value_size(r->map);
	r->fd = r->k->map_fd(r->map);
	r->ncpus = percpu(bpf_map__type(r->map)) ? r->k->possible_cpus() : 0;
	r->val_stride = r->ncpus ? (r->val_size + 7) / 8 * 8 : r->val_size;
	if (!r->btf || !r->val_id || r->fd < 0 || r->ncpus < 0 || !r->key_size) {
		snprintf(msg, msg_len, "map '%.256s' has no BTF types, or no key (a ring buffer?)",
			 name);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* A key from JSON: BTF-typed, or a plain integer for keys without BTF (global data maps). */
static int key_from(struct maps_ctx *c, struct map_ref *r, json_t *j, void *key)
{
	memset(key, 0, r->key_size);
	if (!j)
		return 0;
	if (r->key_id)
		return from_json(c, r->btf, r->key_id, j, key, r->key_size);
	if (!json_is_integer(j) || r->key_size > 8) {
		c->err = "expected an integer key";
		return -EINVAL;
	}
	{
		uint64_t v = (uint64_t)json_integer_value(j);

		memcpy(key, &v, r->key_size);
	}
	return 0;
}

static json_t *key_to(struct map_ref *r, const void *key)
{
	if (r->key_id)
		return to_json(r->btf, r->key_id, key, r->key_size);
	return json_integer((json_int_t)load_uint(key, (uint32_t)r->key_size));
}

static json_t *val_to(struct map_ref *r, const void *val)
{
	json_t *a;

	if (!r->ncpus)
		return to_json(r->btf, r->val_id, val, r->val_size);
	a = json_array();
	for (int i = 0; a && i < r->ncpus; i++)
		if (json_array_append_new(a, to_json(r->btf, r->val_id,
						     (const char *)val + (size_t)i * r->val_stride,
						     r->val_size)))
			return json_decref(a), NULL;
	return a;
}

/* --- the methods -------------------------------------------------------- */

static int maps_get(void *ctx, struct emf_bus_req *req, json_t *args)
{
	struct maps_ctx *c = ctx;
	struct map_ref r;
	char msg[640];
	void *key, *val;
	json_t *v;
	int err = map_find(c, req, args, &r, msg, sizeof(msg));

	if (err)
		return emf__ctl_fail(c->fails, req, err, "%s", msg);
	key = calloc(1, r.key_size);
	val = calloc(r.ncpus ?: 1, r.val_stride);
	c->err = NULL;
	err = !key || !val ? -ENOMEM : key_from(c, &r, json_object_get(args, "key"), key);
	if (err) {
		err = emf__ctl_fail(c->fails, req, err, "key of %s: %s", json_string_value(json_object_get(args, "map")),
				    c->err ?: emf_strerror(err));
		goto out;
	}
	if (r.k->map_lookup(r.fd, key, val)) {
		err = -errno;
		err = emf__ctl_fail(c->fails, req, err, "%s: %s", json_string_value(json_object_get(args, "map")),
				    err == -ENOENT ? "no such key" : emf_strerror(err));
		goto out;
	}
	v = val_to(&r, val);
	if (!v) {
		err = emf__ctl_fail(c->fails, req, -EOPNOTSUPP, "value of %s: a type emf.maps cannot convert",
				    json_string_value(json_object_get(args, "map")));
		goto out;
	}
	emf_bus_req__reply(req, v);
out:
	free(key);
	free(val);
	return err;
}

static int maps_set(void *ctx, struct emf_bus_req *req, json_t *args)
{
	struct maps_ctx *c = ctx;
	const char *name = json_string_value(json_object_get(args, "map"));
	json_t *jv = json_object_get(args, "value");
	struct map_ref r;
	char msg[640];
	void *key, *val;
	int err = map_find(c, req, args, &r, msg, sizeof(msg));

	if (err)
		return emf__ctl_fail(c->fails, req, err, "%s", msg);
	if (r.ncpus)
		return emf__ctl_fail(c->fails, req, -EOPNOTSUPP, "%s: per-CPU values cannot be set", name);
	if (!jv)
		return emf__ctl_fail(c->fails, req, -EINVAL, "give {\"map\":\"PLUGIN.MAP\",\"key\":K,\"value\":V}");
	key = calloc(1, r.key_size);
	val = calloc(1, r.val_size);
	c->err = NULL;
	err = !key || !val ? -ENOMEM : key_from(c, &r, json_object_get(args, "key"), key);
	if (err) {
		err = emf__ctl_fail(c->fails, req, err, "key of %s: %s", name, c->err ?: emf_strerror(err));
		goto out;
	}
	/* Fields not given keep their value; a new entry starts from zero. */
	if (r.k->map_lookup(r.fd, key, val))
		memset(val, 0, r.val_size);
	err = from_json(c, r.btf, r.val_id, jv, val, r.val_size);
	if (err) {
		err = emf__ctl_fail(c->fails, req, err, "value of %s: %s", name, c->err ?: emf_strerror(err));
		goto out;
	}
	if (r.k->map_update(r.fd, key, val, BPF_ANY)) {
		err = -errno;
		err = emf__ctl_fail(c->fails, req, err, "%s: failed to update: %s", name, emf_strerror(err));
		goto out;
	}
	emf_bus_req__reply(req, val_to(&r, val));
out:
	free(key);
	free(val);
	return err;
}

static int maps_dump(void *ctx, struct emf_bus_req *req, json_t *args)
{
	struct maps_ctx *c = ctx;
	struct map_ref r;
	char msg[640];
	void *key, *next, *val;
	json_t *a;
	bool first = true;
	int err = map_find(c, req, args, &r, msg, sizeof(msg)), n = 0;

	if (err)
		return emf__ctl_fail(c->fails, req, err, "%s", msg);
	key = calloc(1, r.key_size);
	next = calloc(1, r.key_size);
	val = calloc(r.ncpus ?: 1, r.val_stride);
	a = json_array();
	if (!key || !next || !val || !a) {
		err = -ENOMEM;
		goto out;
	}
	while (n < MAPS_DUMP_MAX && !r.k->map_next_key(r.fd, first ? NULL : key, next)) {
		first = false;
		memcpy(key, next, r.key_size);
		if (r.k->map_lookup(r.fd, key, val))
			continue; /* deleted meanwhile */
		json_array_append_new(a, json_pack("{s:o?,s:o?}", "key", key_to(&r, key), "value",
						   val_to(&r, val)));
		n++;
	}
	emf_bus_req__reply(req, a);
	a = NULL;
out:
	json_decref(a);
	free(key);
	free(next);
	free(val);
	return err;
}

static const struct emf_bus_method maps_methods[] = {
	{ "get", maps_get },
	{ "set", maps_set },
	{ "dump", maps_dump },
};

struct maps_ctx *emf__ctl_maps_new(struct emf_ctl_err *fails, struct emf_runtime *rt,
				   struct emf_bus *bus)
{
	struct maps_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return emf_err_ptr(-ENOMEM);
	c->fails = fails;
	c->rt = rt;
	c->bus = bus;
	c->svc = emf_bus__add_service(bus, "emf.maps", maps_methods, 3, c, NULL);
	if (!c->svc) {
		int err = -errno;

		free(c);
		return emf_err_ptr(err);
	}
	return c;
}

void emf__ctl_maps_free(struct maps_ctx *c)
{
	if (!c)
		return;
	emf_bus__remove_service(c->bus, c->svc);
	free(c);
}
