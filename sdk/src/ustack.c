// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * User stack frames by name: a process's executable mappings from
 * /proc/PID/maps, each mapped file's function symbols from its ELF .symtab
 * and .dynsym (libelf), and emf_fmt_ustack() of <emf/fmt.h>.
 *
 * Both are cached, since an event rate of stacks must not mean a rate of ELF
 * parses: files by device, inode, size and mtime (a rebuilt library is read
 * again), a process's maps for a second (a new mapping, or a reused pid, is
 * seen after that, or at once when an address falls outside every mapping).
 * The caches are the process's, behind one mutex, and bounded: the least
 * recently used entry goes.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <emf/fmt.h>

#include "stack_internal.h"

#define FILES_MAX 64
#define PROCS_MAX 16
#define MAPS_MAX 4096
#define MAPS_TTL_NS 1000000000ull

struct emf__syms *emf__elf_syms__load(int fd)
{
	struct emf__syms *s = NULL;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	struct stat st;
	size_t i, n_ph;
	Elf *elf;
	int err = -EINVAL;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		goto out_errno;
	if (elf_version(EV_CURRENT) == EV_NONE)
		goto out_errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		goto out_errno;
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) || elf_getphdrnum(elf, &n_ph))
		goto out_end;
	s = emf__syms__new();
	if (!s) {
		err = -ENOMEM;
		goto out_end;
	}
	for (i = 0; i < n_ph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD &&
		    ph.p_offset <= (uint64_t)st.st_size)
			emf__syms__add_seg(s, ph.p_offset, ph.p_vaddr, ph.p_filesz);
	}
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;
		size_t k, cnt;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		/* Cut short or lying about its size: libelf would read past the end. */
		if (sh.sh_offset > (uint64_t)st.st_size || sh.sh_size > (uint64_t)st.st_size - sh.sh_offset ||
		    !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		cnt = sh.sh_size / sh.sh_entsize;
		for (k = 0; k < cnt; k++) {
			const char *name;
			GElf_Sym sym;

			if (!gelf_getsym(data, k, &sym))
				break;
			if ((GELF_ST_TYPE(sym.st_info) != STT_FUNC &&
			     GELF_ST_TYPE(sym.st_info) != STT_GNU_IFUNC) ||
			    sym.st_shndx == SHN_UNDEF || !sym.st_value)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name || !*name)
				continue;
			err = emf__syms__add(s, sym.st_value, sym.st_size, name, strlen(name),
					     GELF_ST_BIND(sym.st_info) == STB_GLOBAL ? 0 :
					     GELF_ST_BIND(sym.st_info) == STB_WEAK   ? 1 :
										       2);
			if (err == -E2BIG)
				break;
			if (err)
				goto out_free;
		}
	}
	emf__syms__sort(s);
	elf_end(elf);
	return s;
out_free:
	emf__syms__free(s);
out_end:
	elf_end(elf);
	errno = -err;
	return NULL;
out_errno:
	errno = errno ?: EINVAL;
	return NULL;
}

struct file {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct emf__syms *syms; /* NULL: not ELF, or nothing to name */
	unsigned int refs; /* the cache's, and one per mapping that points here */
	uint64_t used;
};

struct mapping {
	uint64_t start, end, offset;
	char path[EMF_FMT_PATH_MAX + 1];
	struct file *file; /* opened on first use */
	bool tried;
};

struct proc {
	uint32_t pid;
	uint64_t loaded_ns;
	uint64_t used;
	struct mapping *maps;
	size_t n_maps;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct file *files[FILES_MAX];
static struct proc procs[PROCS_MAX];
static uint64_t clock_tick;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void file_put(struct file *f)
{
	if (f && !--f->refs) {
		emf__syms__free(f->syms);
		free(f);
	}
}

/* The cached symbols of the file open at @fd, loading them once; NULL on ENOMEM. */
static struct file *file_get(int fd)
{
	struct file *f, **slot = NULL;
	struct stat st;
	int i;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return NULL;
	for (i = 0; i < FILES_MAX; i++) {
		f = files[i];
		if (f && f->dev == st.st_dev && f->ino == st.st_ino && f->size == st.st_size &&
		    f->mtime.tv_sec == st.st_mtim.tv_sec && f->mtime.tv_nsec == st.st_mtim.tv_nsec) {
			f->used = ++clock_tick;
			f->refs++;
			return f;
		}
		if (!slot || !files[i] || (*slot && files[i]->used < (*slot)->used))
			slot = &files[i];
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = st.st_size;
	f->mtime = st.st_mtim;
	f->syms = emf__elf_syms__load(fd);
	f->used = ++clock_tick;
	f->refs = 2; /* the cache's and the caller's */
	file_put(*slot);
	*slot = f;
	return f;
}

static void proc_clear(struct proc *pr)
{
	size_t i;

	for (i = 0; i < pr->n_maps; i++)
		file_put(pr->maps[i].file);
	free(pr->maps);
	memset(pr, 0, sizeof(*pr));
}

/* Executable file mappings of /proc/PID/maps: "start-end perms offset dev inode path". */
static int proc_load(struct proc *pr, uint32_t pid)
{
	char path[64], *line = NULL;
	struct mapping *maps = NULL;
	size_t cap = 0, n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (n < MAPS_MAX && getline(&line, &cap, f) > 0) {
		uint64_t start, end, offset;
		char perms[5];
		int pos = 0;
		char *file;
		size_t len;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %*s %*s %n", &start, &end,
			   perms, &offset, &pos) != 4 ||
		    !pos || strlen(perms) < 3 || perms[2] != 'x' || start >= end)
			continue;
		file = line + pos;
		if (file[0] != '/')
			continue;
		len = strcspn(file, "\n");
		if (!(n & 63)) {
			struct mapping *m = realloc(maps, (n + 64) * sizeof(*m));

			if (!m)
				break;
			maps = m;
		}
		memset(&maps[n], 0, sizeof(maps[n]));
		maps[n].start = start;
		maps[n].end = end;
		maps[n].offset = offset;
		snprintf(maps[n].path, sizeof(maps[n].path), "%.*s", (int)len, file);
		n++;
	}
	free(line);
	fclose(f);
	proc_clear(pr);
	pr->pid = pid;
	pr->maps = maps;
	pr->n_maps = n;
	pr->loaded_ns = now_ns();
	return 0;
}

static struct proc *proc_get(uint32_t pid)
{
	struct proc *pr = NULL;
	int i;

	for (i = 0; i < PROCS_MAX; i++) {
		if (procs[i].pid == pid && procs[i].loaded_ns) {
			pr = &procs[i];
			break;
		}
		if (!pr || procs[i].used < pr->used)
			pr = &procs[i];
	}
	if ((pr->pid != pid || now_ns() - pr->loaded_ns > MAPS_TTL_NS) && proc_load(pr, pid)) {
		proc_clear(pr);
		return NULL;
	}
	pr->used = ++clock_tick;
	return pr;
}

static struct mapping *mapping_of(struct proc *pr, uint64_t addr)
{
	size_t i;

	for (i = 0; i < pr->n_maps; i++)
		if (addr >= pr->maps[i].start && addr < pr->maps[i].end)
			return &pr->maps[i];
	return NULL;
}

/* The mapped file itself, even when deleted or in another mount namespace; else by its path. */
static void mapping_open(struct mapping *m, uint32_t pid)
{
	char path[EMF_FMT_PATH_MAX + 64];
	int fd;

	m->tried = true;
	snprintf(path, sizeof(path), "/proc/%u/map_files/%" PRIx64 "-%" PRIx64, pid, m->start,
		 m->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(path, sizeof(path), "/proc/%u/root%s", pid, m->path);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	}
	if (fd < 0)
		return;
	m->file = file_get(fd);
	close(fd);
}

struct ustack_ctx {
	uint32_t pid;
	struct proc *pr;
	bool reloaded;
};

static char *uframe(char *p, uint64_t addr, void *arg)
{
	struct ustack_ctx *c = arg;
	struct mapping *m = c->pr ? mapping_of(c->pr, addr) : NULL;
	const char *name = NULL;
	uint64_t off = 0;

	if (!m && c->pr && !c->reloaded) {
		/* Mapped since the maps were read: read them again, once per stack. */
		c->reloaded = true;
		if (proc_load(c->pr, c->pid))
			proc_clear(c->pr), c->pr = NULL;
		m = c->pr ? mapping_of(c->pr, addr) : NULL;
	}
	if (!m)
		return emf__fmt_frame(p, NULL, 0, addr, NULL);
	if (!m->tried)
		mapping_open(m, c->pid);
	if (m->file)
		name = emf__syms__find(m->file->syms, addr - m->start + m->offset, &off);
	return emf__fmt_frame(p, name, off, addr, m->path);
}

char *emf_fmt_ustack(char *p, const void *ips, size_t n, uint32_t pid, bool json)
{
	struct ustack_ctx c = { .pid = pid };
	int saved = errno;

	pthread_mutex_lock(&cache_lock);
	c.pr = pid ? proc_get(pid) : NULL;
	p = emf__fmt_frames(p, ips, n, json, uframe, &c);
	pthread_mutex_unlock(&cache_lock);
	errno = saved;
	return p;
}
