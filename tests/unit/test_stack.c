// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The symbol tables behind the stack formatters, on synthetic input: a
 * kallsyms file with the lines a kernel writes and lines it does not, frames
 * laid out in text and JSON within EMF_FMT_STACK_MAX, and ELF files cut short
 * or with bytes overwritten at random, which must give fewer symbols or none,
 * never a crash (run it under the sanitizer build to see reads stay inside).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/Basic.h>
#include <jansson.h>

#include <emf/fmt.h>
#include <emf/json.h>

#include "../../sdk/src/stack_internal.h"

static char tmpl[4096];

/* A new file in $TMPDIR holding @n bytes of @data; its path in tmpl. */
static void write_tmp(const void *data, size_t n)
{
	int fd;

	snprintf(tmpl, sizeof(tmpl), "%s/emf-test-stack.XXXXXX", getenv("TMPDIR") ?: "/tmp");
	fd = mkstemp(tmpl);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, data, n) == (ssize_t)n);
	close(fd);
}

static const char kallsyms[] =
	"ffffffff81000000 T _stext\n"
	"ffffffff81001000 T do_one\n"
	"ffffffff81001000 t __do_one_alias\n" /* an alias: the global name is kept */
	"ffffffff81002000 D some_data\n" /* not text */
	"0000000000000000 T hidden\n" /* kptr_restrict: no address */
	"ffffffff81003000 W weak_one\n"
	"ffffffffc0001000 t mod_func\t[some_mod]\n"
	"ffffffff81002800 t local_two\n" /* out of order */
	"garbage line\n"
	"ffffffff81004000 Tno_space\n"
	"ffffffff81005000 T bad\x01name\"quoted\\\n"
	"\n"
	"ffffffff81006000";

static void test_kallsyms(void)
{
	struct emf__syms *s;
	const char *name;
	uint64_t off = 0;
	char *long_file;
	size_t i;

	write_tmp(kallsyms, sizeof(kallsyms) - 1);
	s = emf__ksyms__load(tmpl);
	unlink(tmpl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(emf__syms__count(s), 6); /* _stext do_one weak_one mod_func local_two bad */
	name = emf__syms__find(s, 0xffffffff81001010, &off);
	CU_ASSERT_STRING_EQUAL(name, "do_one");
	CU_ASSERT_EQUAL(off, 0x10);
	CU_ASSERT_STRING_EQUAL(emf__syms__find(s, 0xffffffff81000000, &off), "_stext");
	CU_ASSERT_EQUAL(off, 0);
	/* some_data is not text: the symbol before it holds its address. */
	CU_ASSERT_STRING_EQUAL(emf__syms__find(s, 0xffffffff81002010, &off), "do_one");
	CU_ASSERT_STRING_EQUAL(emf__syms__find(s, 0xffffffff81002900, &off), "local_two");
	CU_ASSERT_STRING_EQUAL(emf__syms__find(s, 0xffffffff81003001, &off), "weak_one");
	CU_ASSERT_STRING_EQUAL(emf__syms__find(s, 0xffffffffc0001234, &off), "mod_func");
	CU_ASSERT_EQUAL(off, 0x234);
	/* Made printable, and safe in JSON. */
	CU_ASSERT_STRING_EQUAL(emf__syms__find(s, 0xffffffff81005000, &off), "bad?name?quoted?");
	/* Before the first, or far past the last: no name. */
	CU_ASSERT_PTR_NULL(emf__syms__find(s, 0xffffffff80000000, &off));
	CU_ASSERT_PTR_NULL(emf__syms__find(s, 0xffffffffc0001000 + (2 << 20), &off));
	CU_ASSERT_PTR_NULL(emf__syms__find(s, 0x10, &off));
	emf__syms__free(s);

	/* Only hidden addresses, nothing, or no file at all. */
	write_tmp("0000000000000000 T a\n0000000000000000 t b\n", 42);
	errno = 0;
	CU_ASSERT_PTR_NULL(emf__ksyms__load(tmpl));
	CU_ASSERT_EQUAL(errno, ENODATA);
	unlink(tmpl);
	write_tmp("", 0);
	CU_ASSERT_PTR_NULL(emf__ksyms__load(tmpl));
	unlink(tmpl);
	errno = 0;
	CU_ASSERT_PTR_NULL(emf__ksyms__load("/nonexistent/kallsyms"));
	CU_ASSERT_EQUAL(errno, ENOENT);
	emf__syms__free(NULL);

	/* A name of 5,000 bytes is cut at EMF_FMT_SYM_MAX. */
	long_file = malloc(6000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(long_file);
	strcpy(long_file, "ffffffff81000000 T ");
	for (i = strlen(long_file); i < 5019; i++)
		long_file[i] = 'x';
	long_file[i++] = '\n';
	write_tmp(long_file, i);
	free(long_file);
	s = emf__ksyms__load(tmpl);
	unlink(tmpl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(strlen(emf__syms__find(s, 0xffffffff81000001, &off)), EMF_FMT_SYM_MAX);
	emf__syms__free(s);
}

struct frame_arg {
	const struct emf__syms *s;
	const char *path;
};

static char *frame(char *p, uint64_t addr, void *arg)
{
	const struct frame_arg *a = arg;
	uint64_t off = 0;
	const char *name = emf__syms__find(a->s, addr, &off);

	return emf__fmt_frame(p, name, off, addr, a->path);
}

static void test_frames(void)
{
	const uint64_t ips[5] = { 0xffffffff81001010, 0xffffffff81000002, 0x1234, 0, 0xffffffff81001000 };
	static char out[EMF_FMT_STACK_MAX(8) + 64];
	struct frame_arg a = { 0 };
	char path[1000], *end;
	json_t *j;
	size_t i;

	write_tmp(kallsyms, sizeof(kallsyms) - 1);
	a.s = emf__ksyms__load(tmpl);
	unlink(tmpl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a.s);
	/* Innermost first, joined by ';', ending at the first 0. */
	*emf__fmt_frames(out, ips, 5, false, frame, &a) = '\0';
	CU_ASSERT_STRING_EQUAL(out, "do_one+0x10;_stext+0x2;0x1234");
	*emf__fmt_frames(out, ips, 5, true, frame, &a) = '\0';
	CU_ASSERT_STRING_EQUAL(out, "[\"do_one+0x10\",\"_stext+0x2\",\"0x1234\"]");
	*emf__fmt_frames(out, ips + 3, 2, true, frame, &a) = '\0';
	CU_ASSERT_STRING_EQUAL(out, "[]");
	*emf__fmt_frames(out, ips, 0, false, frame, &a) = '\0';
	CU_ASSERT_STRING_EQUAL(out, "");
	/* Unaligned input is read as it is. */
	{
		char raw[8 * 2 + 1];

		memcpy(raw + 1, ips, 16);
		*emf__fmt_frames(out, raw + 1, 2, false, frame, &a) = '\0';
		CU_ASSERT_STRING_EQUAL(out, "do_one+0x10;_stext+0x2");
	}
	/* User frames name their file; a long or odd one is cut and made printable. */
	a.path = "/usr/lib/libx.so";
	*emf__fmt_frames(out, ips, 1, false, frame, &a) = '\0';
	CU_ASSERT_STRING_EQUAL(out, "do_one+0x10 (/usr/lib/libx.so)");
	memset(path, '"', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	path[0] = '/';
	a.path = path;
	end = emf__fmt_frames(out, (const uint64_t[8]){ 1, 2, 3, 4, 5, 6, 7, 8 }, 8, true, frame, &a);
	CU_ASSERT((size_t)(end - out) <= EMF_FMT_STACK_MAX(8));
	*end = '\0';
	j = json_loads(out, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(json_array_size(j), 8);
	for (i = 0; i < json_array_size(j); i++)
		CU_ASSERT(json_string_length(json_array_get(j, i)) <= EMF_FMT_FRAME_MAX);
	json_decref(j);
	emf__syms__free((struct emf__syms *)a.s);
}

/* This test binary itself, whole, then cut short and overwritten at random. */
static void test_elf_hostile(void)
{
	struct emf__syms *s;
	unsigned int seed = 15;
	size_t size, n, k, loaded = 0;
	uint64_t off = 0;
	char *bytes;
	int fd, i;
	FILE *f;

	f = fopen("/proc/self/exe", "re");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	bytes = malloc(64 << 20);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bytes);
	size = fread(bytes, 1, 64 << 20, f);
	fclose(f);
	CU_ASSERT_FATAL(size > 4096);

	fd = open("/proc/self/exe", O_RDONLY);
	s = emf__elf_syms__load(fd);
	close(fd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	n = emf__syms__count(s);
	CU_ASSERT(n > 20); /* .symtab: this binary is not stripped */
	emf__syms__free(s);

	/* Not ELF, empty, a directory. */
	write_tmp("#!/bin/sh\necho not an ELF file\n", 31);
	fd = open(tmpl, O_RDONLY);
	errno = 0;
	CU_ASSERT_PTR_NULL(emf__elf_syms__load(fd));
	CU_ASSERT_EQUAL(errno, EINVAL);
	close(fd);
	unlink(tmpl);
	fd = open("/", O_RDONLY | O_DIRECTORY);
	CU_ASSERT_PTR_NULL(emf__elf_syms__load(fd));
	close(fd);
	CU_ASSERT_PTR_NULL(emf__elf_syms__load(-1));

	for (i = 0; i < 300; i++) {
		char *copy = malloc(size);

		CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
		memcpy(copy, bytes, size);
		if (i < 100) {
			/* Cut anywhere: in the header, the program headers, the sections. */
			n = i < 20 ? (size_t)i * 4 : (size_t)rand_r(&seed) % size;
		} else {
			/* Whole, with bytes overwritten in the ELF, program and section headers. */
			n = size;
			for (k = 0; k < 16; k++) {
				size_t at = rand_r(&seed) % 3 ? (size_t)rand_r(&seed) % 4096 :
								size - 1 - rand_r(&seed) % 8192;

				copy[at] = rand_r(&seed);
			}
		}
		write_tmp(copy, n);
		free(copy);
		fd = open(tmpl, O_RDONLY);
		CU_ASSERT_FATAL(fd >= 0);
		s = emf__elf_syms__load(fd);
		close(fd);
		unlink(tmpl);
		if (s) {
			loaded++;
			emf__syms__find(s, 0x1000, &off);
			emf__syms__find(s, n / 2, &off);
		}
		emf__syms__free(s);
	}
	free(bytes);
	/* Most corrupted copies still parse; the point is that none crashed. */
	CU_ASSERT(loaded > 0);
}

/* This process's frames, through /proc/self/maps and the ELF files mapped (getpid: in
 * libc, whatever sanitizer wraps the string functions). */
static void test_ustack_self(void)
{
	uint64_t ips[3] = { (uint64_t)(uintptr_t)test_ustack_self + 1, (uint64_t)(uintptr_t)getpid,
			    0 };
	static char out[EMF_FMT_STACK_MAX(3)];
	json_t *j;

	*emf_fmt_ustack(out, ips, 3, getpid(), false) = '\0';
	CU_ASSERT(!strncmp(out, "test_ustack_self+0x1 (/", 23));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "libc.so.6)"));
	j = emf_json_ustack(ips, 3, getpid());
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_EQUAL(json_array_size(j), 2);
	CU_ASSERT(!strncmp(json_string_value(json_array_get(j, 0)), "test_ustack_self+0x1 (/", 23));
	json_decref(j);
	/* Kernel frames of a user address: no name, whatever kallsyms says. */
	*emf_fmt_kstack(out, ips, 1, true) = '\0';
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "[\"0x"));
}

int main(void)
{
	CU_pSuite s;
	int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("stack", NULL, NULL);
	CU_add_test(s, "kallsyms: text symbols, sorted, checked", test_kallsyms);
	CU_add_test(s, "frames in text and JSON, bounded", test_frames);
	CU_add_test(s, "ELF files cut short or overwritten", test_elf_hostile);
	CU_add_test(s, "this process's own user frames", test_ustack_self);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
