// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The generated decoder of execsnoop on synthetic event bytes: typed access,
 * text, JSON lines and jansson output with the semantic types' names (uid,
 * result, argv), a trailing argv cut short, and a buffer cut before the fixed
 * part, which must be refused and never read.
 * Buffers are allocated to the exact size so that valgrind or ASan catch any
 * read past the end.
 */
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>
#include <jansson.h>

#include <emf/errno.h>
#include <emf/fmt.h>
#include <emf/runtime.h>

#include "execsnoop.emf.h"

static const struct emf_event_type *T = &execsnoop__event__type;

static void *make_event(size_t size, const char *comm, const char *filename)
{
	struct execsnoop__event e;
	void *buf = malloc(size);

	memset(&e, 0, sizeof(e));
	e.ts = 123456789;
	e.pid = 4242;
	e.ppid = -1;
	e.uid = 4000000000u; /* no such user: shown as the number */
	memcpy(e.args, "bash\0-c\0true", 13);
	/* Deliberately not NUL-terminated when the text fills the array. */
	memcpy(e.comm, comm, strnlen(comm, sizeof(e.comm)));
	memcpy(e.filename, filename, strnlen(filename, sizeof(e.filename)));
	memcpy(buf, &e, size);
	return buf;
}

static char *render(char *(*fn)(char *, const void *, size_t), size_t max, const void *data,
		    size_t size)
{
	static char out[65536];
	char *end;

	CU_ASSERT_FATAL(max < sizeof(out));
	end = fn(out, data, size);
	CU_ASSERT_FATAL((size_t)(end - out) <= max);
	*end = '\0';
	return out;
}

static void test_layout(void)
{
	CU_ASSERT_EQUAL(T->size, sizeof(struct execsnoop__event));
	CU_ASSERT_EQUAL(T->min_size, offsetof(struct execsnoop__event, args));
	CU_ASSERT_STRING_EQUAL(T->name, "event");
	CU_ASSERT_EQUAL(T->n_fields, 8);
	CU_ASSERT_STRING_EQUAL(T->fields[5].name, "comm");
	CU_ASSERT_EQUAL(T->fields[5].kind, EMF_FIELD_STRING);
	CU_ASSERT_EQUAL(T->fields[5].count, 16);
	CU_ASSERT_EQUAL(T->fields[3].kind, EMF_FIELD_UINT);
	CU_ASSERT_EQUAL(T->fields[3].semantic, EMF_SEM_UID);
	CU_ASSERT_EQUAL(T->fields[4].semantic, EMF_SEM_RET);
	CU_ASSERT_EQUAL(T->fields[7].semantic, EMF_SEM_ARGV);
	CU_ASSERT_EQUAL(emf_event_type__field(T, "ppid")->offset, 12);
	/* The emf_ktime_t field is the event's time, on the monotonic clock. */
	CU_ASSERT_EQUAL(T->time_clock, EMF_CLOCK_MONOTONIC);
	CU_ASSERT_EQUAL(T->time_offset, offsetof(struct execsnoop__event, ts));
	CU_ASSERT_PTR_NULL(emf_event_type__field(T, "nope"));
	CU_ASSERT_STRING_EQUAL(T->text_header, "PID     PPID    UID      RET     COMM             FILENAME         ARGS");
	CU_ASSERT_PTR_EQUAL(execsnoop__plugin.outputs[0].event, T);
	CU_ASSERT_STRING_EQUAL(execsnoop__plugin.outputs[0].map_name, "events");
}

static void test_full_event(void)
{
	void *buf = make_event(T->size, "bash", "/usr/bin/bash");
	const struct execsnoop__event *e = execsnoop__event__from(buf, T->size);
	json_t *j, *parsed;
	char *s;

	CU_ASSERT_PTR_EQUAL_FATAL(e, buf);
	CU_ASSERT_EQUAL(e->pid, 4242);
	CU_ASSERT_EQUAL(emf_event_type__check(T, T->size), 0);
	s = render(T->render_text, T->text_max, buf, T->size);
	CU_ASSERT_STRING_EQUAL(s, "4242    -1      4000000000 0       bash             /usr/bin/bash    bash -c true");
	s = render(T->render_json, T->json_max, buf, T->size);
	CU_ASSERT_STRING_EQUAL(s, "\"ts\":123456789,\"pid\":4242,\"ppid\":-1,\"uid\":4000000000,"
				  "\"uid_name\":\"4000000000\",\"ret\":0,\"ret_name\":\"0\",\"comm\":\"bash\","
				  "\"filename\":\"/usr/bin/bash\",\"args\":[\"bash\",\"-c\",\"true\"]");
	/* The jansson object and the JSON-lines writer say the same thing. */
	j = T->to_json(buf, T->size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	{
		char wrapped[65600];

		snprintf(wrapped, sizeof(wrapped), "{%s}", s);
		parsed = json_loads(wrapped, 0, NULL);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(parsed);
	CU_ASSERT(json_equal(j, parsed));
	json_decref(j);
	json_decref(parsed);
	free(buf);
}

static void test_unterminated_and_escapes(void)
{
	/* comm fills all 16 bytes with no NUL; filename holds bytes JSON must escape. */
	void *buf = make_event(T->size, "0123456789abcdef", "a\"b\\c\n\x01\xff");
	json_t *j, *parsed;
	char *s, wrapped[65600];

	s = render(T->render_json, T->json_max, buf, T->size);
	CU_ASSERT_STRING_EQUAL(s, "\"ts\":123456789,\"pid\":4242,\"ppid\":-1,\"uid\":4000000000,"
				  "\"uid_name\":\"4000000000\",\"ret\":0,\"ret_name\":\"0\","
				  "\"comm\":\"0123456789abcdef\","
				  "\"filename\":\"a\\\"b\\\\c\\n\\u0001\\u00ff\",\"args\":[\"bash\",\"-c\",\"true\"]");
	snprintf(wrapped, sizeof(wrapped), "{%s}", s);
	parsed = json_loads(wrapped, 0, NULL);
	j = T->to_json(buf, T->size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(parsed);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT(json_equal(j, parsed));
	s = render(T->render_text, T->text_max, buf, T->size);
	CU_ASSERT_STRING_EQUAL(s, "4242    -1      4000000000 0       0123456789abcdef a\"b\\c???         bash -c true");
	json_decref(j);
	json_decref(parsed);
	free(buf);
}

static void test_trailing_argv_cut(void)
{
	size_t size = T->min_size + 7; /* "bash\0-c" arrived, the rest did not */
	struct execsnoop__event *e = make_event(size, "sh", "/usr/bin/sh");
	json_t *j;
	char *s;

	e->ret = -2;
	CU_ASSERT_PTR_NOT_NULL(execsnoop__event__from(e, size));
	CU_ASSERT_EQUAL(emf_event_type__check(T, size), 0);
	s = render(T->render_json, T->json_max, e, size);
	CU_ASSERT_STRING_EQUAL(s, "\"ts\":123456789,\"pid\":4242,\"ppid\":-1,\"uid\":4000000000,"
				  "\"uid_name\":\"4000000000\",\"ret\":-2,\"ret_name\":\"ENOENT\","
				  "\"comm\":\"sh\",\"filename\":\"/usr/bin/sh\",\"args\":[\"bash\",\"-c\"]");
	s = render(T->render_text, T->text_max, e, size);
	CU_ASSERT_STRING_EQUAL(s, "4242    -1      4000000000 ENOENT  sh               /usr/bin/sh      bash -c");
	j = T->to_json(e, size);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(j, "args")), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "ret_name")), "ENOENT");
	json_decref(j);
	/* Nothing of argv arrived: an empty list. */
	s = render(T->render_json, T->json_max, e, T->min_size);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, ",\"args\":[]"));
	free(e);
}

static void test_cut_before_fixed_part(void)
{
	size_t size = T->min_size - 1;
	void *buf = make_event(size, "sh", "");

	CU_ASSERT_PTR_NULL(execsnoop__event__from(buf, size));
	CU_ASSERT_EQUAL(emf_event_type__check(T, size), -EMF_ERRNO__TRUNC);
	CU_ASSERT_EQUAL(errno, EMF_ERRNO__TRUNC);
	CU_ASSERT_PTR_NULL(execsnoop__event__from(buf, 0));
	free(buf);
}

static void test_formatters(void)
{
	char b[64], *e;

	e = emf_fmt_i64(b, INT64_MIN);
	*e = '\0';
	CU_ASSERT_STRING_EQUAL(b, "-9223372036854775808");
	e = emf_fmt_u64(b, UINT64_MAX);
	*e = '\0';
	CU_ASSERT_STRING_EQUAL(b, "18446744073709551615");
	/* Every length, at both ends: the digits are counted before they are written. */
	for (uint64_t v = 1, i = 0; i < 20; i++, v *= 10) {
		char want[32];
		uint64_t vs[] = { v - 1, v, v + 1, v * 9 + (v - 1) };

		for (size_t j = 0; j < sizeof(vs) / sizeof(vs[0]); j++) {
			if (i == 19 && j == 3)
				break; /* 10^20 - 1 does not fit */
			snprintf(want, sizeof(want), "%llu", (unsigned long long)vs[j]);
			e = emf_fmt_u64(b, vs[j]);
			*e = '\0';
			CU_ASSERT_STRING_EQUAL(b, want);
		}
	}
	e = emf_fmt_u128(b, (unsigned __int128)UINT64_MAX * 1000 + 7);
	*e = '\0';
	CU_ASSERT_STRING_EQUAL(b, "18446744073709551615007");
	e = emf_fmt_i128(b, -((__int128)1 << 100));
	*e = '\0';
	CU_ASSERT_STRING_EQUAL(b, "-1267650600228229401496703205376");
	e = emf_fmt_hex(b, 0xffff8880deadbeefULL);
	*e = '\0';
	CU_ASSERT_STRING_EQUAL(b, "0xffff8880deadbeef");
	e = emf_fmt_hex(b, 0);
	*e = '\0';
	CU_ASSERT_STRING_EQUAL(b, "0x0");
	e = emf_fmt_json_str(b, "h\xc3\xa9!", 8);
	*e = '\0';
	CU_ASSERT_STRING_EQUAL(b, "\"h\xc3\xa9!\"");
}

int main(void)
{
	CU_pSuite s;
	int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("decoder", NULL, NULL);
	CU_add_test(s, "layout and field table from BTF", test_layout);
	CU_add_test(s, "full event: typed, text, JSON, jansson", test_full_event);
	CU_add_test(s, "unterminated strings and escapes", test_unterminated_and_escapes);
	CU_add_test(s, "trailing argv cut short, a failed exec", test_trailing_argv_cut);
	CU_add_test(s, "buffer cut before the fixed part is refused", test_cut_before_fixed_part);
	CU_add_test(s, "formatters", test_formatters);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
