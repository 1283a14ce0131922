// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Frames of the control socket: what encode writes, decode reads back; partial,
 * oversized and malformed input is told apart, never read past.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>
#include <jansson.h>

#include <emf/ctl.h>
#include <emf/fmt.h>

static void test_roundtrip(void)
{
	json_t *in = json_pack("{s:I,s:s,s:[i,s,n]}", "id", (json_int_t)42, "op", "call", "args", 1,
			       "\xc3\xa9\"\\", NULL), *out;
	struct emf_buf b = {};
	long used;

	CU_ASSERT_FATAL(in != NULL);
	CU_ASSERT_EQUAL(emf_ctl_frame__encode(in, &b), 0);
	CU_ASSERT_EQUAL((unsigned char)b.data[0], 0);
	CU_ASSERT_EQUAL((size_t)((unsigned char)b.data[2] << 8 | (unsigned char)b.data[3]) + 4, b.len);
	/* Every cut of the frame is "need more", the whole of it one frame. */
	for (size_t n = 0; n < b.len; n++)
		CU_ASSERT_EQUAL(emf_ctl_frame__decode(b.data, n, &out), 0);
	used = emf_ctl_frame__decode(b.data, b.len, &out);
	CU_ASSERT_EQUAL(used, (long)b.len);
	CU_ASSERT(json_equal(in, out));
	json_decref(out);
	/* Two frames back to back. */
	CU_ASSERT_EQUAL(emf_ctl_frame__encode(in, &b), 0);
	used = emf_ctl_frame__decode(b.data, b.len, &out);
	CU_ASSERT_EQUAL(used * 2, (long)b.len);
	json_decref(out);
	CU_ASSERT_EQUAL(emf_ctl_frame__decode(b.data + used, b.len - (size_t)used, &out), used);
	json_decref(out);
	json_decref(in);
	emf_buf__free(&b);
}

static void test_refusals(void)
{
	static const char big[] = { 0, 0x10, 0, 1 }; /* 1 MiB + 1 */
	static const char max[] = { 0, 0x10, 0, 0 };
	static const char arr[] = { 0, 0, 0, 3, '[', '1', ']' };
	static const char bad[] = { 0, 0, 0, 2, '{', 'x', 0, 0, 0, 2, '{', '}' };
	static const char nul[] = { 0, 0, 0, 3, '{', 0, '}' };
	const char *payload;
	size_t plen;
	json_t *out = (json_t *)1;

	CU_ASSERT_EQUAL(emf_ctl_frame__decode(big, sizeof(big), &out), -EMSGSIZE);
	CU_ASSERT_PTR_NULL(out);
	/* Exactly the limit is a frame, still waiting for its bytes. */
	CU_ASSERT_EQUAL(emf_ctl_frame__decode(max, sizeof(max), &out), 0);
	CU_ASSERT_EQUAL(emf_ctl_frame__decode(arr, sizeof(arr), &out), -EBADMSG);
	CU_ASSERT_EQUAL(emf_ctl_frame__decode(nul, sizeof(nul), &out), -EBADMSG);
	/* A malformed frame is skipped by its length; the next one parses. */
	CU_ASSERT_EQUAL(emf_ctl_frame__decode(bad, sizeof(bad), &out), -EBADMSG);
	CU_ASSERT_EQUAL(emf_ctl_frame__split(bad, sizeof(bad), &payload, &plen), 6);
	CU_ASSERT_EQUAL(plen, 2);
	CU_ASSERT_EQUAL(emf_ctl_frame__decode(bad + 6, sizeof(bad) - 6, &out), 6);
	CU_ASSERT(json_is_object(out));
	json_decref(out);
}

static void test_encode_limits(void)
{
	struct emf_buf b = {};
	size_t n = EMF_CTL_FRAME_MAX;
	char *s = malloc(n + 1);
	json_t *j;

	CU_ASSERT_FATAL(s != NULL);
	memset(s, 'a', n);
	s[n] = '\0';
	j = json_string(s); /* two quotes more than the limit */
	CU_ASSERT_EQUAL(emf_ctl_frame__encode(j, &b), -EMSGSIZE);
	CU_ASSERT_EQUAL(b.len, 0);
	CU_ASSERT_EQUAL(emf_ctl_frame__append(&b, s, n), 0);
	CU_ASSERT_EQUAL(b.len, n + EMF_CTL_FRAME_HDR);
	CU_ASSERT_EQUAL(emf_ctl_frame__encode(NULL, &b), -EINVAL);
	json_decref(j);
	free(s);
	emf_buf__free(&b);
}

int main(void)
{
	CU_pSuite s;
	int fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("ctl_proto", NULL, NULL);
	CU_add_test(s, "encode and decode round trip, cut anywhere", test_roundtrip);
	CU_add_test(s, "oversized, not an object, NUL, skip a bad frame", test_refusals);
	CU_add_test(s, "encode refuses what exceeds the limit", test_encode_limits);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = (int)CU_get_number_of_failures();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}
