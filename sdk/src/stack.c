// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Stack frames by name: the symbol table shared by the kernel's and ELF
 * files' symbols (sorted once, searched by bisection), /proc/kallsyms, and
 * the kernel stack formatter of <emf/fmt.h>. User frames are in ustack.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emf/fmt.h>

#include "stack_internal.h"

/* More than any kernel or library has; a hostile file stops here. */
#define SYMS_MAX (8u << 20)
#define NAMES_MAX (256u << 20)
#define SEGS_MAX 64
/* A symbol of unknown size holds at most this much past its start. */
#define SYM_SPAN_MAX (1u << 20)

struct sym {
	uint64_t addr;
	uint64_t size; /* 0: up to the next symbol */
	uint32_t name; /* offset in names */
	uint32_t rank; /* of aliases at one address, the lowest is kept */
};

struct seg {
	uint64_t offset, vaddr, filesz;
};

struct emf__syms {
	struct sym *v;
	size_t n, cap;
	char *names;
	size_t names_len, names_cap;
	struct seg segs[SEGS_MAX];
	size_t n_segs;
	bool elf; /* addresses are file offsets, turned into vaddrs by the segments */
};

char *emf__printable(char *d, const char *s, size_t n, bool spaces)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		*d++ = (c > ' ' || (spaces && c == ' ')) && c < 0x7f && c != '"' && c != '\\' ? c : '?';
	}
	return d;
}

struct emf__syms *emf__syms__new(void)
{
	return calloc(1, sizeof(struct emf__syms));
}

int emf__syms__add(struct emf__syms *s, uint64_t addr, uint64_t size, const char *name, size_t len,
		   int local)
{
	size_t under = strspn(name, "_");

	if (len > EMF_FMT_SYM_MAX)
		len = EMF_FMT_SYM_MAX;
	if (s->n >= SYMS_MAX || s->names_len + len + 1 > NAMES_MAX)
		return -E2BIG;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		struct sym *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	if (s->names_len + len + 1 > s->names_cap) {
		size_t cap = s->names_cap ? s->names_cap * 2 : 16384;
		char *names;

		while (cap < s->names_len + len + 1)
			cap *= 2;
		names = realloc(s->names, cap);
		if (!names)
			return -ENOMEM;
		s->names = names;
		s->names_cap = cap;
	}
	s->v[s->n].addr = addr;
	s->v[s->n].size = size;
	s->v[s->n].name = s->names_len;
	s->v[s->n].rank = (local & 3) << 2 | (under < 3 ? under : 3);
	*emf__printable(s->names + s->names_len, name, len, false) = '\0';
	s->names_len += len + 1;
	s->n++;
	return 0;
}

int emf__syms__add_seg(struct emf__syms *s, uint64_t offset, uint64_t vaddr, uint64_t filesz)
{
	if (s->n_segs == SEGS_MAX)
		return -E2BIG;
	s->segs[s->n_segs++] = (struct seg){ offset, vaddr, filesz };
	s->elf = true;
	return 0;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* Of symbols at one address, a sized one first (it bounds the lookup), then by rank. */
	if ((x->size == 0) != (y->size == 0))
		return (x->size == 0) - (y->size == 0);
	return (x->rank > y->rank) - (x->rank < y->rank);
}

void emf__syms__sort(struct emf__syms *s)
{
	size_t i, o = 0;

	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_sym);
	/* Aliases (several names at one address): the first is kept. */
	for (i = 1; i < s->n; i++)
		if (s->v[i].addr != s->v[o].addr)
			s->v[++o] = s->v[i];
	s->n = o + 1;
}

size_t emf__syms__count(const struct emf__syms *s)
{
	return s ? s->n : 0;
}

const char *emf__syms__find(const struct emf__syms *s, uint64_t addr, uint64_t *off)
{
	size_t lo = 0, hi, i;
	const struct sym *sym;

	if (!s || !s->n)
		return NULL;
	if (s->elf) {
		/* A file offset, as the process maps it, into the symbols' addresses. */
		for (i = 0; i < s->n_segs; i++)
			if (addr >= s->segs[i].offset && addr - s->segs[i].offset < s->segs[i].filesz)
				break;
		if (i == s->n_segs)
			return NULL;
		addr = addr - s->segs[i].offset + s->segs[i].vaddr;
	}
	/* The last symbol at or below @addr. */
	hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	sym = &s->v[lo - 1];
	if (sym->size ? addr - sym->addr >= sym->size :
			lo == s->n && addr - sym->addr >= SYM_SPAN_MAX)
		return NULL;
	*off = addr - sym->addr;
	return s->names + sym->name;
}

void emf__syms__free(struct emf__syms *s)
{
	if (!s)
		return;
	free(s->v);
	free(s->names);
	free(s);
}

/*
 * kallsyms lines are "ADDR TYPE NAME[\t[MODULE]]". Text symbols (t, T, and
 * weak w, W) only: a stack holds code addresses. Addresses shown as 0 are
 * hidden from us (kptr_restrict) and say nothing.
 */
struct emf__syms *emf__ksyms__load(const char *path)
{
	struct emf__syms *s = NULL;
	size_t cap = 0;
	char *line = NULL;
	ssize_t len;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f)
		return NULL;
	s = emf__syms__new();
	if (!s) {
		err = -ENOMEM;
		goto out;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		char *end, *name;
		uint64_t addr;

		errno = 0;
		addr = strtoull(line, &end, 16);
		if (errno || end == line || end[0] != ' ' || !end[1] || end[2] != ' ' || !addr)
			continue;
		if (!strchr("tTwW", end[1]))
			continue;
		name = end + 3;
		err = emf__syms__add(s, addr, 0, name, strcspn(name, " \t\r\n"),
				     end[1] == 'T' ? 0 : end[1] == 't' ? 2 : 1);
		if (err == -E2BIG) {
			err = 0;
			break;
		}
		if (err)
			goto out;
	}
	if (!s->n)
		err = -ENODATA;
	emf__syms__sort(s);
out:
	free(line);
	fclose(f);
	if (err) {
		emf__syms__free(s);
		errno = -err;
		return NULL;
	}
	return s;
}

char *emf__fmt_frame(char *p, const char *name, uint64_t off, uint64_t addr, const char *path)
{
	if (name) {
		size_t n = strnlen(name, EMF_FMT_SYM_MAX);

		p = emf__printable(p, name, n, false);
		*p++ = '+';
		p = emf_fmt_hex(p, off);
	} else {
		p = emf_fmt_hex(p, addr);
	}
	if (path) {
		*p++ = ' ';
		*p++ = '(';
		p = emf__printable(p, path, strnlen(path, EMF_FMT_PATH_MAX), true);
		*p++ = ')';
	}
	return p;
}

char *emf__fmt_frames(char *p, const void *ips, size_t n, bool json,
		      char *(*frame)(char *p, uint64_t addr, void *arg), void *arg)
{
	size_t i;

	if (json)
		*p++ = '[';
	for (i = 0; i < n; i++) {
		uint64_t ip;

		memcpy(&ip, (const char *)ips + i * sizeof(ip), sizeof(ip));
		if (!ip)
			break;
		if (i)
			*p++ = json ? ',' : ';';
		if (json)
			*p++ = '"';
		p = frame(p, ip, arg);
		if (json)
			*p++ = '"';
	}
	if (json)
		*p++ = ']';
	return p;
}

/* The kernel's symbols, read on first use and kept: the concept is the machine's. */
static struct emf__syms *kernel_syms;
static pthread_once_t kernel_once = PTHREAD_ONCE_INIT;

static void load_kernel_syms(void)
{
	kernel_syms = emf__ksyms__load("/proc/kallsyms");
}

static char *kframe(char *p, uint64_t addr, void *arg)
{
	const struct emf__syms *s = arg;
	const char *name;
	uint64_t off = 0;

	name = emf__syms__find(s, addr, &off);
	return emf__fmt_frame(p, name, off, addr, NULL);
}

char *emf_fmt_kstack(char *p, const void *ips, size_t n, bool json)
{
	int saved = errno;

	pthread_once(&kernel_once, load_kernel_syms);
	errno = saved;
	return emf__fmt_frames(p, ips, n, json, kframe, kernel_syms);
}
