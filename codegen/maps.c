// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf-codegen: the maps the SDK reads and prints. A map annotated with
 * EMF_SAMPLE_* is read at its interval. Without an annotation, the shapes
 * libbpf-tools print from user space are recognised, as eunomia-bpf does: a
 * value struct with an integer array "slots" is a log2 histogram per key,
 * key -> integer (or struct of integers) is a counter table. Those are read
 * when the host asks (emf-agent: at the end of the run, or every --interval).
 * A map the BPF code deletes from holds state (libbpf-tools' "start" maps of
 * tid -> timestamp), not counts, and is left out; the object's instructions
 * and relocations tell which ones those are.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/btf.h>

#include "codegen.h"

#define EMF_SAMPLE_TAG "emf.sample:"
#define EMF_TAG "emf."

/* The key or value type (member @what) of a map definition, 0 when it has none. */
static __u32 map_kv(const struct btf *btf, __u32 var_id, const char *what)
{
	const struct btf_type *t =
		btf__type_by_id(btf, cg_resolve(btf, btf__type_by_id(btf, var_id)->type));
	const struct btf_member *m = btf_members(t);
	int i;

	for (i = 0; btf_is_struct(t) && i < btf_vlen(t); i++, m++) {
		const struct btf_type *pt = btf__type_by_id(btf, m->type);

		if (!strcmp(btf__name_by_offset(btf, m->name_off), what) && btf_is_ptr(pt))
			return pt->type;
	}
	return 0;
}

/* The member "slots" of struct @id when it is an array of 32- or 64-bit integers, else NULL. */
static const struct btf_member *slots_member(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, cg_resolve(btf, id));
	const struct btf_member *m;
	int i;

	if (!btf_is_struct(t))
		return NULL;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const struct btf_type *at = btf__type_by_id(btf, cg_resolve(btf, m->type)), *et;

		if (strcmp(btf__name_by_offset(btf, m->name_off), "slots") || !btf_is_array(at))
			continue;
		et = btf__type_by_id(btf, cg_resolve(btf, btf_array(at)->type));
		if (btf_is_int(et) && (et->size == 4 || et->size == 8) && btf_array(at)->nelems &&
		    !btf_member_bitfield_size(t, i))
			return m;
	}
	return NULL;
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
	    (strcmp(kind, "counters") && strcmp(kind, "log2")) ||
	    (rest[0] && strcmp(rest, ":clear"))) {
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
	if (s->log2 && !btf_is_int(btf__type_by_id(p->btf, vid)) && !slots_member(p->btf, vid)) {
		cg_err("sampled map '%s' of %s: a log2 histogram needs integer values (one count per slot) or a value struct with an integer array 'slots'\n",
		       mname, p->src);
		return -EINVAL;
	}
	p->n_samples++;
	return 0;
}

/* Does map variable @var_id carry a decl tag of emf (EMF_SAMPLE_*, EMF_EVENT, EMF_MAP_*)? */
static bool emf_tagged(const struct btf *btf, __u32 var_id)
{
	int j, n = btf__type_cnt(btf);

	for (j = 1; j < n; j++) {
		const struct btf_type *t = btf__type_by_id(btf, j);

		if (btf_is_decl_tag(t) && t->type == var_id &&
		    !strncmp(btf__name_by_offset(btf, t->name_off), EMF_TAG, strlen(EMF_TAG)))
			return true;
	}
	return false;
}

/* ---- maps the BPF code deletes from --------------------------------------- */

struct map_refs {
	char **deleted; /* maps passed to bpf_map_delete_elem() */
	int n_deleted;
	char **unsure; /* maps used by a program whose deletes could not be followed */
	int n_unsure;
	char **updated; /* maps passed to bpf_map_update_elem(), or maybe */
	int n_updated;
	char **stamped; /* maps given a value from bpf_ktime_get_*ns(): start times */
	int n_stamped;
	bool unsure_all; /* a subprogram deletes from a map it was passed: any may be state */
};

static bool has_ref(char **v, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], name))
			return true;
	return false;
}

static void refs_free(struct map_refs *r)
{
	int i;

	for (i = 0; i < r->n_deleted; i++)
		free(r->deleted[i]);
	for (i = 0; i < r->n_unsure; i++)
		free(r->unsure[i]);
	for (i = 0; i < r->n_updated; i++)
		free(r->updated[i]);
	for (i = 0; i < r->n_stamped; i++)
		free(r->stamped[i]);
	free(r->stamped);
	free(r->updated);
	free(r->deleted);
	free(r->unsure);
}

#define LD_IMM64 (BPF_LD | BPF_IMM | BPF_DW)
#define MOV64_X (BPF_ALU64 | BPF_MOV | BPF_X)
#define CALL (BPF_JMP | BPF_CALL)
#define MARK_SECOND 1 /* the second half of an ld_imm64 */
#define MARK_TARGET 2 /* where a jump lands */

/* Does instruction @in write register @reg (or clobber it, a call r0-r5)? */
static bool writes(const struct bpf_insn *in, __u8 reg)
{
	__u8 cls = BPF_CLASS(in->code);

	if (in->code == CALL)
		return reg <= BPF_REG_5;
	return (cls == BPF_ALU || cls == BPF_ALU64 || cls == BPF_LDX || cls == BPF_LD) &&
	       in->dst_reg == reg;
}

/*
 * The map whose address reaches r1 of the call at @call, walking back in the
 * straight line before it: "r1 = map ll", or that through register moves, as
 * clang emits it. NULL when something else sets the register first (a load
 * from the stack, a call, an argument of the function), or when a jump lands
 * on the way, so another path may set it.
 */
static const char *map_in_r1(const struct bpf_insn *insn, const char *const *map_at,
			     const unsigned char *mark, size_t call)
{
	__u8 reg = BPF_REG_1;
	size_t j;

	if (mark[call] & MARK_TARGET)
		return NULL;
	for (j = call; j-- > 0;) {
		const struct bpf_insn *in = &insn[j];

		if (mark[j] & MARK_SECOND)
			continue;
		if (in->code == LD_IMM64 && in->dst_reg == reg)
			return map_at[j];
		if (in->code == MOV64_X && in->dst_reg == reg)
			reg = in->src_reg;
		else if (in->code == (BPF_JMP | BPF_EXIT) || writes(in, reg))
			return NULL;
		if (mark[j] & MARK_TARGET)
			return NULL;
	}
	return NULL;
}

static bool ktime_helper(__s32 id)
{
	return id == BPF_FUNC_ktime_get_ns || id == BPF_FUNC_ktime_get_boot_ns ||
	       id == BPF_FUNC_ktime_get_coarse_ns || id == BPF_FUNC_ktime_get_tai_ns;
}

/*
 * Does r3 of the update call at @call point at a stack slot last filled with
 * what a bpf_ktime_get_*ns() call returned? As clang emits "ts =
 * bpf_ktime_get_ns(); bpf_map_update_elem(&start, &tid, &ts, 0);": r3 = r10,
 * r3 += OFF, an earlier *(u64 *)(r10 + OFF) = rX, and rX from r0 of the call,
 * all in the straight line before the update.
 */
static bool value_is_time(const struct bpf_insn *insn, const unsigned char *mark, size_t call)
{
	enum { PTR, STORE, VALUE } want = PTR;
	__u8 reg = BPF_REG_3;
	__s32 off = 0;
	size_t j;

	if (mark[call] & MARK_TARGET)
		return false;
	for (j = call; j-- > 0;) {
		const struct bpf_insn *in = &insn[j];

		if (mark[j] & MARK_SECOND)
			continue;
		if (in->code == (BPF_JMP | BPF_EXIT))
			return false;
		if (want == PTR && in->code == (BPF_ALU64 | BPF_ADD | BPF_K) && in->dst_reg == reg) {
			off += in->imm;
		} else if (want == PTR && in->code == MOV64_X && in->dst_reg == reg) {
			reg = in->src_reg;
			if (reg == BPF_REG_10)
				want = STORE;
		} else if (want == STORE && in->dst_reg == BPF_REG_10 && in->off == off &&
			   (in->code == (BPF_STX | BPF_MEM | BPF_DW) ||
			    in->code == (BPF_ST | BPF_MEM | BPF_DW))) {
			if (BPF_CLASS(in->code) == BPF_ST)
				return false;
			reg = in->src_reg;
			want = VALUE;
		} else if (want == VALUE && in->code == MOV64_X && in->dst_reg == reg) {
			reg = in->src_reg;
		} else if (want == VALUE && in->code == CALL && reg == BPF_REG_0) {
			return !in->src_reg && ktime_helper(in->imm);
		} else if (want != STORE && writes(in, reg)) {
			return false;
		}
		if (mark[j] & MARK_TARGET)
			return false;
	}
	return false;
}

/* One code section of @n instructions, @map_at its ld_imm64 relocations to maps. */
static int scan_code(const struct bpf_insn *insn, size_t n, const char *const *map_at,
		     bool subprogs, struct map_refs *r)
{
	unsigned char *mark = calloc(n ?: 1, 1);
	bool unsure_del = false, unsure_upd = false;
	size_t i;
	int err = 0;

	if (!mark)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		__u8 cls = BPF_CLASS(insn[i].code), op = BPF_OP(insn[i].code);
		long t = (long)i + insn[i].off + 1;

		if (insn[i].code == LD_IMM64 && i + 1 < n)
			mark[++i] |= MARK_SECOND;
		else if ((cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT &&
			 t >= 0 && (size_t)t < n)
			mark[t] |= MARK_TARGET;
	}
	for (i = 0; i < n && !err; i++) {
		const char *m;

		if ((mark[i] & MARK_SECOND) || insn[i].code != CALL || insn[i].src_reg ||
		    (insn[i].imm != BPF_FUNC_map_delete_elem &&
		     insn[i].imm != BPF_FUNC_map_update_elem))
			continue;
		m = map_in_r1(insn, map_at, mark, i);
		if (m && insn[i].imm == BPF_FUNC_map_delete_elem)
			err = cg_add_name(&r->deleted, &r->n_deleted, m);
		else if (m)
			err = cg_add_name(&r->updated, &r->n_updated, m);
		else if (insn[i].imm == BPF_FUNC_map_delete_elem)
			unsure_del = true;
		else
			unsure_upd = true;
		if (!err && m && insn[i].imm == BPF_FUNC_map_update_elem &&
		    value_is_time(insn, mark, i))
			err = cg_add_name(&r->stamped, &r->n_stamped, m);
	}
	/*
	 * A call not followed to its map: any map of the section may be the one,
	 * state for a delete (left out), written for an update (shown); in a
	 * subprogram (.text), any map of the object, passed by its callers.
	 */
	if (unsure_del && subprogs)
		r->unsure_all = true;
	for (i = 0; (unsure_del || unsure_upd) && i < n && !err; i++) {
		if (map_at[i] && unsure_del)
			err = cg_add_name(&r->unsure, &r->n_unsure, map_at[i]);
		if (map_at[i] && unsure_upd && !err)
			err = cg_add_name(&r->updated, &r->n_updated, map_at[i]);
	}
	free(mark);
	return err;
}

/* Name in @map_at[i] the map instruction i of section @idx loads (its relocation), if any. */
static void map_loads(Elf *elf, size_t idx, Elf_Data *syms, size_t nsyms, size_t strtab,
		      size_t maps_idx, const char **map_at, size_t n)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t k;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *rel;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_REL || sh.sh_info != idx ||
		    !sh.sh_entsize || !(rel = elf_getdata(scn, NULL)))
			continue;
		for (k = 0; k < sh.sh_size / sh.sh_entsize; k++) {
			GElf_Rel rl;
			GElf_Sym sym;

			if (!gelf_getrel(rel, (int)k, &rl) || GELF_R_SYM(rl.r_info) >= nsyms ||
			    !gelf_getsym(syms, (int)GELF_R_SYM(rl.r_info), &sym) ||
			    sym.st_shndx != maps_idx || rl.r_offset % sizeof(struct bpf_insn) ||
			    rl.r_offset / sizeof(struct bpf_insn) >= n)
				continue;
			map_at[rl.r_offset / sizeof(struct bpf_insn)] =
				elf_strptr(elf, strtab, sym.st_name);
		}
	}
}

/* Which maps of the object at @path its code deletes from. */
static int scan_deletes(const char *path, struct map_refs *r)
{
	size_t shstrndx, maps_idx = 0, nsyms = 0, strtab = 0;
	Elf_Data *syms = NULL;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int fd, err = 0;
	Elf *elf;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		cg_err("failed to open %s to read its code: %s\n", path, strerror(errno));
		return err;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx)) {
		cg_err("failed to read ELF of %s: %s\n", path, elf_errmsg(-1));
		err = -EINVAL;
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (sh.sh_type == SHT_SYMTAB) {
			syms = elf_getdata(scn, NULL);
			strtab = sh.sh_link;
			nsyms = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		} else if (name && !strcmp(name, ".maps")) {
			maps_idx = elf_ndxscn(scn);
		}
	}
	if (!syms || !maps_idx)
		goto out;
	/* Each section of code, with the maps its relocations load. */
	while ((scn = elf_nextscn(elf, scn)) && !err) {
		const char *name, **map_at;
		Elf_Data *code;
		size_t n;

		if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_EXECINSTR))
			continue;
		code = elf_getdata(scn, NULL);
		if (!code || !code->d_buf)
			continue;
		n = code->d_size / sizeof(struct bpf_insn);
		map_at = calloc(n ?: 1, sizeof(*map_at));
		if (!map_at) {
			err = -ENOMEM;
			break;
		}
		map_loads(elf, elf_ndxscn(scn), syms, nsyms, strtab, maps_idx, map_at, n);
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		err = scan_code(code->d_buf, n, map_at, name && !strcmp(name, ".text"), r);
		free(map_at);
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

/* ---- shapes --------------------------------------------------------------- */

/* A char, as the emitter tells one: named char, or of the char encoding. */
static bool is_char(const struct btf *btf, const struct btf_type *t)
{
	return btf_is_int(t) && t->size == 1 &&
	       (!strcmp(btf__name_by_offset(btf, t->name_off), "char") ||
		(btf_int_encoding(t) & BTF_INT_CHAR));
}

/* An integer a table shows as a number: not a char, not a bool. */
static bool plain_int(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, cg_resolve(btf, id));

	return btf_is_int(t) && !is_char(btf, t) && !(btf_int_encoding(t) & BTF_INT_BOOL) &&
	       btf_int_bits(t) == t->size * 8 && t->size <= 8;
}

/* A char array: a name beside the counts (libbpf-tools keep a comm there). */
static bool char_array(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, cg_resolve(btf, id)), *et;

	if (!btf_is_array(t))
		return false;
	et = btf__type_by_id(btf, cg_resolve(btf, btf_array(t)->type));
	return is_char(btf, et);
}

/* Key -> integer, or key -> struct of integers (and strings, at least one integer). */
static bool counter_value(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, cg_resolve(btf, id));
	const struct btf_member *m;
	int i, ints = 0;

	if (plain_int(btf, id))
		return true;
	if (!btf_is_struct(t) || !btf_vlen(t))
		return false;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		if (btf_member_bitfield_size(t, i))
			return false;
		if (plain_int(btf, m->type))
			ints++;
		else if (!char_array(btf, m->type))
			return false;
	}
	return ints > 0;
}

/* A type the field tables render: integers, enums, char strings, structs and arrays of those. */
static bool renderable(const struct btf *btf, __u32 id, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, cg_resolve(btf, id));
	const struct btf_member *m;
	int i;

	if (!t || depth > 4)
		return false;
	if (btf_is_int(t))
		return t->size <= 16;
	if (btf_is_enum(t) || btf_is_enum64(t))
		return true;
	if (btf_is_array(t))
		return btf_array(t)->nelems && renderable(btf, btf_array(t)->type, depth + 1);
	if (!btf_is_struct(t) || !btf_vlen(t))
		return false;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++)
		if (!btf__name_by_offset(btf, m->name_off)[0] ||
		    !renderable(btf, m->type, depth + 1))
			return false;
	return true;
}

static bool readable_type(int type)
{
	switch (type) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_ARRAY:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_PERCPU_ARRAY:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return true;
	default:
		return false;
	}
}

/* Map @var_id of the shape of a histogram (*log2) or a counter table; else false. */
static bool recognise(struct cg_plugin *p, __u32 var_id, const struct map_refs *r, bool *log2)
{
	const struct btf_type *var = btf__type_by_id(p->btf, var_id);
	const char *name = btf__name_by_offset(p->btf, var->name_off);
	__u32 kid = map_kv(p->btf, var_id, "key"), vid = map_kv(p->btf, var_id, "value");
	int type;

	if (!readable_type(cg_map_type(p->btf, var_id)) || !kid || !vid ||
	    !strncmp(name, "emf_", 4) || !strncmp(name, "__", 2) || emf_tagged(p->btf, var_id) ||
	    !renderable(p->btf, kid, 0) || !renderable(p->btf, vid, 0))
		return false;
	*log2 = slots_member(p->btf, vid) != NULL;
	if (*log2)
		return true;
	if (!counter_value(p->btf, vid) || has_ref(r->deleted, r->n_deleted, name) ||
	    r->unsure_all || has_ref(r->unsure, r->n_unsure, name) ||
	    has_ref(r->stamped, r->n_stamped, name))
		return false;
	/*
	 * A hash the BPF code never adds to is filled by user space: a filter
	 * or a setting, not counts. Arrays count in place (lookup, then add).
	 */
	type = cg_map_type(p->btf, var_id);
	return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       has_ref(r->updated, r->n_updated, name);
}

static int build_auto(struct cg_plugin *p, const struct btf_type *sec)
{
	const struct btf_var_secinfo *vs = btf_var_secinfos(sec);
	struct map_refs r = {};
	int i, err;

	err = scan_deletes(p->obj_path, &r);
	for (i = 0; !err && i < btf_vlen(sec); i++, vs++) {
		struct cg_sample *s;
		bool log2;

		if (!recognise(p, vs->type, &r, &log2))
			continue;
		s = realloc(p->samples, (p->n_samples + 1) * sizeof(*s));
		if (!s) {
			err = -ENOMEM;
			break;
		}
		p->samples = s;
		s = &p->samples[p->n_samples++];
		memset(s, 0, sizeof(*s));
		snprintf(s->map, sizeof(s->map), "%s",
			 btf__name_by_offset(p->btf, btf__type_by_id(p->btf, vs->type)->name_off));
		s->log2 = log2;
		s->key_id = map_kv(p->btf, vs->type, "key");
		s->value_id = map_kv(p->btf, vs->type, "value");
		if (cg_verbose)
			cg_info("map '%s' of %s: shown as a %s at the end of the run\n", s->map,
				p->src, log2 ? "log2 histogram per key" : "counter table");
	}
	refs_free(&r);
	return err;
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
	return build_auto(p, sec);
}
