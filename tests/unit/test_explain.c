// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The reason of a verifier rejection, as the one-line report gives it: from
 * logs as 6.18 writes them (source lines with "@ file:line") and as 6.1 does
 * (without), and the tail shown at level info.
 */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <CUnit/Basic.h>
#include <emf/errno.h>

#include "runtime_internal.h"

/* The end of sigsnoop's rejection on 6.18, before its si_code fix. */
static const char log_618[] =
	"; if (info == SEND_SIG_NOINFO) @ sigsnoop.bpf.c:60\n"
	"58: (15) if r1 == 0x0 goto pc+4       ; R1=scalar(id=3,umin=1) refs=7\n"
	"; e->code = info->si_code; @ sigsnoop.bpf.c:65\n"
	"62: (61) r2 = *(u32 *)(r1 +8)\n"
	"R1 invalid mem access 'scalar'\n"
	"processed 96 insns (limit 1000000) max_states_per_insn 0 total_states 6 peak_states 6 mark_read 0\n"
	"\n";

/* The end of badverify's rejection on Debian's 6.1: no file and line on the source lines. */
static const char log_61[] =
	"; u64 *n = bpf_map_lookup_elem(&counts, &key);\n"
	"6: (85) call bpf_map_lookup_elem#1    ; R0_w=map_value_or_null(id=1,off=0,ks=4,vs=8,imm=0)\n"
	"; *n += 1; /* no NULL check: rejected */\n"
	"7: (79) r1 = *(u64 *)(r0 +0)\n"
	"R0 invalid mem access 'map_value_or_null'\n"
	"processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n";

static void test_reason_618(void)
{
	char reason[256], where[64];

	emf__verifier_reason(log_618, reason, sizeof(reason), where, sizeof(where));
	CU_ASSERT_STRING_EQUAL(reason, "R1 invalid mem access 'scalar'");
	CU_ASSERT_STRING_EQUAL(where, "sigsnoop.bpf.c:65");
}

static void test_reason_61(void)
{
	char reason[256], where[64];

	emf__verifier_reason(log_61, reason, sizeof(reason), where, sizeof(where));
	CU_ASSERT_STRING_EQUAL(reason, "R0 invalid mem access 'map_value_or_null'");
	CU_ASSERT_STRING_EQUAL(where, "");
}

static void test_reason_odd_logs(void)
{
	char reason[16], where[8];

	emf__verifier_reason("", reason, sizeof(reason), where, sizeof(where));
	CU_ASSERT_STRING_EQUAL(reason, "");
	CU_ASSERT_STRING_EQUAL(where, "");
	emf__verifier_reason("\n\nprocessed 1 insns\n", reason, sizeof(reason), where, sizeof(where));
	CU_ASSERT_STRING_EQUAL(reason, "");
	/* Cut to the buffers, never past them. */
	emf__verifier_reason("; x @ a_very_long_file_name.bpf.c:12345\nR1 a reason longer than sixteen\n",
			     reason, sizeof(reason), where, sizeof(where));
	CU_ASSERT_STRING_EQUAL(reason, "R1 a reason lon");
	CU_ASSERT_STRING_EQUAL(where, "a_very_");
}

static void test_tail(void)
{
	CU_ASSERT_STRING_EQUAL(emf__log_tail("a\nb\nc\n\n", 2), "b\nc\n\n");
	CU_ASSERT_STRING_EQUAL(emf__log_tail("a\nb\nc", 5), "a\nb\nc");
	CU_ASSERT_STRING_EQUAL(emf__log_tail("", 3), "");
}

/* Kernel-internal codes that leave through bpf(2) are words, not "Unknown error 524". */
static void test_kernel_errnos(void)
{
	CU_ASSERT_STRING_EQUAL(emf_strerror(-524), "not supported by this kernel (ENOTSUPP)");
	CU_ASSERT_STRING_EQUAL(emf_strerror(527), "type not supported by this kernel (EBADTYPE)");
	CU_ASSERT_STRING_EQUAL(emf_strerror(-ENOENT), strerror(ENOENT));
	/* A gap in the kernel's table is unknown to the system too. */
	CU_ASSERT_STRING_EQUAL(emf_strerror(-520), "Unknown error 520");
	/* Two unknown codes in one call both stay readable. */
	{
		const char *a = emf_strerror(9999), *b = emf_strerror(-9998);

		CU_ASSERT_STRING_EQUAL(a, "Unknown error 9999");
		CU_ASSERT_STRING_EQUAL(b, "Unknown error 9998");
	}
	CU_ASSERT_STRING_EQUAL(emf_strerror(-EMF_ERRNO__IDLE), "program loaded but attached nowhere");
}

/* And in libbpf's line, which a failure quotes: its strerror() has no words for them either. */
static void test_kernel_errnos_libbpf(void)
{
	char buf[128] = "libbpf: prog 'on_read': failed to attach: Unknown error 524\n";
	struct emf_plugin p = { .libbpf_log = { .buf = buf, .len = strlen(buf) } };
	char why[256], tail[16];

	CU_ASSERT_EQUAL(emf__explain(&p, EMF_STEP_ATTACH, -524, why, sizeof(why), tail, sizeof(tail)),
			-524);
	CU_ASSERT_STRING_EQUAL(why, "not supported by this kernel (ENOTSUPP) (prog 'on_read': failed to attach: not supported by this kernel (ENOTSUPP))");
	/* libbpf 1.1 where strerror_r() fails for it. */
	snprintf(buf, sizeof(buf), "libbpf: prog 'x': failed to attach: ERROR: strerror_r(-524)=22\n");
	p.libbpf_log.len = strlen(buf);
	emf__explain(&p, EMF_STEP_ATTACH, -524, why, sizeof(why), tail, sizeof(tail));
	CU_ASSERT_STRING_EQUAL(why, "not supported by this kernel (ENOTSUPP) (prog 'x': failed to attach: not supported by this kernel (ENOTSUPP))");
	/* A code nobody has words for stays as libbpf wrote it. */
	snprintf(buf, sizeof(buf), "libbpf: prog 'x': failed: Unknown error 520\n");
	p.libbpf_log.len = strlen(buf);
	emf__explain(&p, EMF_STEP_ATTACH, -520, why, sizeof(why), tail, sizeof(tail));
	CU_ASSERT_STRING_EQUAL(why, "Unknown error 520 (prog 'x': failed: Unknown error 520)");
}

int main(void)
{
	unsigned int failed;
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("explain", NULL, NULL);
	CU_add_test(s, "verifier reason and source line, 6.18 log", test_reason_618);
	CU_add_test(s, "verifier reason, 6.1 log without source lines", test_reason_61);
	CU_add_test(s, "empty, statistics-only and long logs", test_reason_odd_logs);
	CU_add_test(s, "the tail of a log", test_tail);
	CU_add_test(s, "kernel-internal errnos in words", test_kernel_errnos);
	CU_add_test(s, "kernel-internal errnos in libbpf's line", test_kernel_errnos_libbpf);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
