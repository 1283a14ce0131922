// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf-codegen: the maps the SDK reads and prints, those annotated with
 * EMF_SAMPLE_* and read at their interval.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>

#include "codegen.h"

#define EMF_SAMPLE_TAG "emf.sample:"

/* The key or value type (member @what) of a map definition, 0 when it has none. */
static __u32 map_kv(const struct btf *btf, __u32 var_id, const char *what)
{
	const struct btf_type *t = btf__type_by_id(btf, cg_resolve(btf, btf__type_by_id(btf, var_id)->type));
	const struct btf_member *m = btf_members(t);
	int i;

	for (i = 0; btf_is_struct(t) && i < btf_vlen(t); i++, m++) {
		const struct btf_type *pt = btf__type_by_id(btf, m->type);

		if (!strcmp(btf__name_by_offset(btf, m->name_off), what) && btf_is_ptr(pt))
			return pt->type;
	}
	return 0;
}

/* EMF_SAMPLE_*(ms) on a map: "emf.sample:counters:1000[:clear]". */
static int add_sample(struct cg_plugin *p, const struct btf_type *var, __u32 var_id,
		      const char *tag)
{
	const char *mname = btf__name_by_offset(p->btf, var->name_off);
	char kind[16] = "", rest[16] = "";
	struct cg_sample *s;
	unsigned int ms = 0;
	__u32 vid;

	if (sscanf(tag, "%15[a-z0-9]:%u%15s", kind, &ms, rest) < 2 || !ms ||
	    (strcmp(kind, "counters") && strcmp(kind, "log2")) || (rest[0] && strcmp(rest, ":clear"))) {
		cg_err("map '%s' of %s: bad sampling annotation '%s'; use the EMF_SAMPLE_* macros of <emf/emf.bpf.h>\n",
		       mname, p->src, tag);
		return -EINVAL;
	}
	s = realloc(p->samples, (p->n_samples + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	p->samples = s;
	s = &p->samples[p->n_samples];
	snprintf(s->map, sizeof(s->map), "%s", mname);
	s->log2 = !strcmp(kind, "log2");
	s->interval_ms = ms;
	s->clear = rest[0] != '\0';
	s->key_id = map_kv(p->btf, var_id, "key");
	s->value_id = map_kv(p->btf, var_id, "value");
	if (!s->key_id || !s->value_id) {
		cg_err("sampled map '%s' of %s: declare its types with __type(key, ...) and __type(value, ...), not key_size/value_size, so emf knows how to print it\n",
		       mname, p->src);
		return -EINVAL;
	}
	vid = cg_resolve(p->btf, s->value_id);
	if (s->log2 && !btf_is_int(btf__type_by_id(p->btf, vid))) {
		cg_err("sampled map '%s' of %s: a log2 histogram needs integer values (one count per slot)\n",
		       mname, p->src);
		return -EINVAL;
	}
	p->n_samples++;
	return 0;
}

int cg_build_samples(struct cg_plugin *p, const struct btf_type *sec)
{
	const struct btf_var_secinfo *vs = btf_var_secinfos(sec);
	int i, j, n = btf__type_cnt(p->btf), err;

	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		for (j = 1; j < n; j++) {
			const struct btf_type *t = btf__type_by_id(p->btf, j);
			const char *s;

			if (!btf_is_decl_tag(t) || t->type != vs->type ||
			    btf_decl_tag(t)->component_idx != -1)
				continue;
			s = btf__name_by_offset(p->btf, t->name_off);
			if (strncmp(s, EMF_SAMPLE_TAG, strlen(EMF_SAMPLE_TAG)))
				continue;
			err = add_sample(p, btf__type_by_id(p->btf, vs->type), vs->type,
					 s + strlen(EMF_SAMPLE_TAG));
			if (err)
				return err;
		}
	}
	return 0;
}
