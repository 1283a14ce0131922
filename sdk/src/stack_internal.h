/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Private symbol tables behind the stack formatters of <emf/fmt.h>: the
 * kernel's (kallsyms text) and an ELF file's (.symtab and .dynsym). Both read
 * hostile input: every length and offset is checked, names are cut and made
 * printable ASCII, and a file cut short or malformed gives fewer symbols,
 * never a crash.
 */
#ifndef __EMF_STACK_INTERNAL_H
#define __EMF_STACK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

struct emf__syms;

/*
 * emf__ksyms__load - the text symbols of a kallsyms file (/proc/kallsyms)
 *
 * Returns a table the caller frees with emf__syms__free(), or NULL with errno
 * set (ENOENT, EACCES: the file; ENODATA: no symbol with an address, as when
 * kptr_restrict hides them; ENOMEM).
 */
struct emf__syms *emf__ksyms__load(const char *path);

/*
 * emf__elf_syms__load - the function symbols of the ELF file open at @fd
 *
 * The file offsets of its PT_LOAD segments are kept, so that a process's
 * address can be turned into the symbols' address space. Returns a table the
 * caller frees with emf__syms__free() (it does not keep @fd), or NULL with
 * errno set (EINVAL: not an ELF file, or a malformed one; ENOMEM).
 */
struct emf__syms *emf__elf_syms__load(int fd);

/*
 * emf__syms__find - the symbol holding @addr
 * @addr: a kernel address for a kallsyms table, a file offset for an ELF one
 * @off: set to @addr's distance from the symbol's start
 *
 * Returns its name (owned by @syms, NUL-terminated, at most EMF_FMT_SYM_MAX
 * bytes, printable ASCII) or NULL when no symbol holds @addr.
 */
const char *emf__syms__find(const struct emf__syms *syms, uint64_t addr, uint64_t *off);

/*
 * Building a table: _new() an empty one (NULL on ENOMEM), _add() a symbol of
 * @size bytes (0: unknown, up to the next one) named by @len bytes of @name
 * (of several at one address, the one of lowest @local, then fewest leading
 * '_', is kept: printf rather than _IO_printf; @local 0 global, 1 weak, 2 local),
 * _add_seg() a PT_LOAD segment, then _sort() once. _add() and _add_seg()
 * return 0 or -ENOMEM (-E2BIG past the table's limit).
 */
struct emf__syms *emf__syms__new(void);
int emf__syms__add(struct emf__syms *syms, uint64_t addr, uint64_t size, const char *name,
		   size_t len, int local);
int emf__syms__add_seg(struct emf__syms *syms, uint64_t offset, uint64_t vaddr, uint64_t filesz);
void emf__syms__sort(struct emf__syms *syms);

/* emf__syms__count - how many symbols @syms holds */
size_t emf__syms__count(const struct emf__syms *syms);

/* emf__syms__free - free @syms (NULL is fine) */
void emf__syms__free(struct emf__syms *syms);

/*
 * emf__fmt_frame - one frame: "name+0xOFF", then " (@path)" when @path is
 * set; "0xADDR" (and the path) when @name is NULL. @path is cut and made
 * printable as names are. Writes at most EMF_FMT_FRAME_MAX bytes.
 */
char *emf__fmt_frame(char *p, const char *name, uint64_t off, uint64_t addr, const char *path);

/* emf__fmt_frames - the frames at @ips as emf_fmt_kstack() lays them out, named by @frame. */
char *emf__fmt_frames(char *p, const void *ips, size_t n, bool json,
		      char *(*frame)(char *p, uint64_t addr, void *arg), void *arg);

/* Copy @n bytes of @s into @d as printable ASCII ('?' for others, and for '"' '\\'); returns end. */
char *emf__printable(char *d, const char *s, size_t n, bool spaces);

#pragma GCC visibility pop

#endif /* __EMF_STACK_INTERNAL_H */
