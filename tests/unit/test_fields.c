// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Field selections (emf_fields__*), rendered from the field table by the
 * SDK's walker, against the compiled renderers of tests/codegen/alltypes and
 * tests/codegen/anon: every field selected gives the same header, text and
 * JSON, byte for byte, for chosen values of every field kind and for events
 * of random bytes, whole and cut short. The one known difference, a
 * multi-dimensional array written flat, is spelled out where it is checked.
 * Then chosen lists: order, nested paths, named numbers, errors.
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <CUnit/Basic.h>

#include <emf/event.h>
#include <emf/log.h>

#include "alltypes.emf.h"
#include "anon.emf.h"
#include "alltypes_fill.h"

#define OUT_MAX 16384

static char want[OUT_MAX], got[OUT_MAX];

/* Replace the first @from in @s by @to. */
static void replace(char *s, const char *from, const char *to)
{
	char *at = strstr(s, from);
	size_t fl = strlen(from), tl = strlen(to);

	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	memmove(at + tl, at + fl, strlen(at + fl) + 1);
	memcpy(at, to, tl);
}

/*
 * The known difference: the field table has int matrix[2][2] as 4 ints, so
 * the walker writes [a,b,c,d] where the compiled renderer writes [[a,b],[c,d]].
 */
static void flatten_matrix(char *s, const struct alltypes__event *e, bool json)
{
	char nested[128], flat[128];
	const int *m = &e->matrix[0][0];

	snprintf(nested, sizeof(nested), "%s[[%d,%d],[%d,%d]]", json ? "\"matrix\":" : " ", m[0],
		 m[1], m[2], m[3]);
	snprintf(flat, sizeof(flat), "%s[%d,%d,%d,%d]", json ? "\"matrix\":" : " ", m[0], m[1],
		 m[2], m[3]);
	replace(s, nested, flat);
}

static char *text_of(struct emf_fields *fs, const void *data, size_t size)
{
	char *end = emf_fields__text(fs, got, data, size);

	CU_ASSERT_FATAL((size_t)(end - got) <= emf_fields__text_max(fs));
	*end = '\0';
	return got;
}

static char *json_of(struct emf_fields *fs, const void *data, size_t size)
{
	char *end = emf_fields__json(fs, got, data, size);

	CU_ASSERT_FATAL((size_t)(end - got) <= emf_fields__json_max(fs));
	*end = '\0';
	return got;
}

static void compare(const struct emf_event_type *t, const char *what,
		    const struct alltypes__event *matrix_of, bool json)
{
	if (matrix_of)
		flatten_matrix(want, matrix_of, json);
	CU_ASSERT_STRING_EQUAL(got, want);
	if (strcmp(got, want))
		fprintf(stderr, "\n %s %s:\n  compiled %s\n  walker   %s\n", what, t->name, want,
			got);
}

/* Every field selected renders @data of @size bytes exactly as @t's compiled renderers do. */
static void check_all(const struct emf_event_type *t, const void *data, size_t size,
		      const struct alltypes__event *matrix_of)
{
	struct emf_fields *fs;

	CU_ASSERT_EQUAL_FATAL(emf_fields__new(t, NULL, &fs, NULL, 0), 0);
	CU_ASSERT_PTR_EQUAL(emf_fields__type(fs), t);
	CU_ASSERT_STRING_EQUAL(emf_fields__text_header(fs), t->text_header);

	*t->render_text(want, data, size) = '\0';
	text_of(fs, data, size);
	compare(t, "text", matrix_of, false);
	*t->render_json(want, data, size) = '\0';
	json_of(fs, data, size);
	compare(t, "json", matrix_of, true);
	emf_fields__free(fs);
}

static void test_every_kind(void)
{
	const struct emf_event_type *T = &alltypes__event__type;
	struct alltypes__event e;
	uint8_t b = 233;

	alltypes_fill(&e);
	check_all(T, &e, sizeof(e), &e);
	/* A bool holding another byte, an enum value without a name, NaN, a string with quotes and controls. */
	memcpy(&e.flag, &b, 1);
	e.color = 3;
	e.f = __builtin_nanf("");
	memcpy(e.name, "a\"b\\\n\x01\xc3\xa9", 8);
	e.bf1 = 7;
	e.bf3 = -8;
	check_all(T, &e, sizeof(e), &e);
	/* Zeros, and a 128-bit value that fits 64 bits. */
	memset(&e, 0, sizeof(e));
	e.u128 = 5;
	check_all(T, &e, sizeof(e), &e);
	/* A trailing array cut short: what arrived. */
	alltypes_fill(&e);
	check_all(T, &e, T->min_size, &e);
	check_all(T, &e, T->min_size + 2, &e);
}

static void test_packed_and_anonymous(void)
{
	struct alltypes__packed_event p = { .tag = 'p', .value = 1ULL << 40, .port = 443 };
	struct anon__event a;

	check_all(&alltypes__packed_event__type, &p, sizeof(p), NULL);
	memset(&a, 0, sizeof(a));
	a.pid = 42;
	a.__anon1.err = -2;
	a.__anon2.sport = 443;
	a.__anon3.v4[0] = 10;
	a.tag.proto = 6;
	a.tag.__anon1.flags = 0x11;
	a.ok = true;
	check_all(&anon__event__type, &a, sizeof(a), NULL);
}

static void test_semantic(void)
{
	struct alltypes__sem_event ev;
	const struct emf_event_type *S = &alltypes__sem_event__type;

	alltypes_sem_fill(&ev);
	check_all(S, &ev, sizeof(ev), NULL);
	check_all(S, &ev, S->min_size + 5, NULL);
	ev.ret = 3;
	ev.sig = 40;
	ev.err = 4000;
	ev.uid = 4000000000u;
	ev.nr = 100000;
	ev.flags = -1;
	ev.mode = 0100755;
	check_all(S, &ev, sizeof(ev), NULL);
}

/* Events of random bytes, whole and cut anywhere past the fixed part. */
static void test_random_bytes(void)
{
	const struct emf_event_type *types[] = { &alltypes__event__type,
						 &alltypes__packed_event__type,
						 &alltypes__sem_event__type, &anon__event__type };
	unsigned char buf[256];
	unsigned int seed = 1;
	size_t i, k, j, size;

	for (k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
		for (i = 0; i < 500; i++) {
			for (j = 0; j < types[k]->size; j++)
				buf[j] = (unsigned char)rand_r(&seed);
			/* Uids and gids: a few, so user lookups stay cheap. */
			if (types[k] == &alltypes__sem_event__type) {
				struct alltypes__sem_event *s = (void *)buf;

				s->uid %= 4;
				s->gid %= 4;
			}
			size = types[k]->size;
			if (i % 2 && types[k]->min_size < size)
				size = types[k]->min_size +
				       rand_r(&seed) % (size - types[k]->min_size);
			check_all(types[k], buf, size,
				  types[k] == &alltypes__event__type ? (void *)buf : NULL);
			if (CU_get_number_of_failures())
				return;
		}
	}
}

static void test_chosen_fields(void)
{
	const struct emf_event_type *T = &alltypes__event__type;
	struct alltypes__event e;
	struct anon__event a;
	struct emf_fields *fs;

	alltypes_fill(&e);
	/* In the order given; a nested field titled by its path, in its struct's object. */
	CU_ASSERT_EQUAL_FATAL(emf_fields__new(T, " pid, name ,in.s", &fs, NULL, 0), 0);
	CU_ASSERT_STRING_EQUAL(emf_fields__text_header(fs), "PID     NAME     IN.S");
	CU_ASSERT_STRING_EQUAL(text_of(fs, &e, sizeof(e)), "42      12345678 -5");
	CU_ASSERT_STRING_EQUAL(json_of(fs, &e, sizeof(e)),
			       "\"pid\":42,\"name\":\"12345678\",\"in\":{\"s\":-5}");
	emf_fields__free(fs);
	/* Fields of one struct stay together in JSON, where the first was given. */
	CU_ASSERT_EQUAL_FATAL(emf_fields__new(T, "in.b,pid,in.s,point.y", &fs, NULL, 0), 0);
	CU_ASSERT_STRING_EQUAL(emf_fields__text_header(fs), "IN.B  PID     IN.S  POINT.Y");
	CU_ASSERT_STRING_EQUAL(text_of(fs, &e, sizeof(e)), "6     42      -5    20");
	CU_ASSERT_STRING_EQUAL(json_of(fs, &e, sizeof(e)),
			       "\"in\":{\"b\":6,\"s\":-5},\"pid\":42,\"point\":{\"y\":20}");
	emf_fields__free(fs);
	/* A whole struct, an array, the trailing array cut short. */
	CU_ASSERT_EQUAL_FATAL(emf_fields__new(T, "in,arr,tail", &fs, NULL, 0), 0);
	CU_ASSERT_STRING_EQUAL(text_of(fs, &e, T->min_size + 2), "{s=-5 b=6} [1,2,3] ta");
	CU_ASSERT_STRING_EQUAL(json_of(fs, &e, T->min_size + 2),
			       "\"in\":{\"s\":-5,\"b\":6},\"arr\":[1,2,3],\"tail\":\"ta\"");
	emf_fields__free(fs);
	/* Two levels down, through anonymous members. */
	memset(&a, 0, sizeof(a));
	a.pid = 7;
	a.tag.__anon1.flags = 0x11;
	CU_ASSERT_EQUAL_FATAL(
		emf_fields__new(&anon__event__type, "tag.__anon1.flags,pid", &fs, NULL, 0), 0);
	CU_ASSERT_STRING_EQUAL(emf_fields__text_header(fs), "TAG.__ANON1.FLAGS PID");
	CU_ASSERT_STRING_EQUAL(text_of(fs, &a, sizeof(a)), "17                7");
	CU_ASSERT_STRING_EQUAL(json_of(fs, &a, sizeof(a)),
			       "\"tag\":{\"__anon1\":{\"flags\":17}},\"pid\":7");
	emf_fields__free(fs);
}

static void test_chosen_semantic(void)
{
	const struct emf_event_type *S = &alltypes__sem_event__type;
	struct alltypes__sem_event ev = { .when = 123456789012ULL, .err = -2, .ret = -13 };
	struct emf_fields *fs;

	/* Names in text, the number and its _name in JSON; a timestamp asked for shows its number. */
	CU_ASSERT_EQUAL_FATAL(emf_fields__new(S, "ret,uid,when", &fs, NULL, 0), 0);
	CU_ASSERT_STRING_EQUAL(emf_fields__text_header(fs), "RET     UID      WHEN");
	CU_ASSERT_STRING_EQUAL(text_of(fs, &ev, sizeof(ev)), "EACCES  root     123456789012");
	CU_ASSERT_STRING_EQUAL(
		json_of(fs, &ev, sizeof(ev)),
		"\"ret\":-13,\"ret_name\":\"EACCES\",\"uid\":0,\"uid_name\":\"root\","
		"\"when\":123456789012");
	emf_fields__free(fs);
	/* An endpoint whole, and a part of one. */
	ev.local.addr[15] = 1;
	ev.local.port = 22;
	ev.peer.port = 80;
	CU_ASSERT_EQUAL_FATAL(emf_fields__new(S, "local,peer.port", &fs, NULL, 0), 0);
	CU_ASSERT_STRING_EQUAL(emf_fields__text_header(fs), "LOCAL                 PEER.PORT");
	CU_ASSERT_STRING_EQUAL(text_of(fs, &ev, sizeof(ev)), "[::1]:22              80");
	CU_ASSERT_STRING_EQUAL(json_of(fs, &ev, sizeof(ev)),
			       "\"local\":{\"addr\":\"::1\",\"port\":22,\"text\":\"[::1]:22\"},"
			       "\"peer\":{\"port\":80}");
	emf_fields__free(fs);
}

static void check_error(const char *list, const char *msg)
{
	struct emf_fields *fs = (void *)1;
	char err[512] = "";

	CU_ASSERT_EQUAL(emf_fields__new(&alltypes__event__type, list, &fs, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_PTR_NULL(fs);
	CU_ASSERT_EQUAL(strncmp(err, msg, strlen(msg)), 0);
	if (strncmp(err, msg, strlen(msg)))
		fprintf(stderr, "\n  want %s\n  got  %s\n", msg, err);
}

static void test_errors(void)
{
	check_error("pid,nope",
		    "fields 'pid,nope': event type 'event' has no field 'nope' "
		    "(it has i8, u8, i16, u16, i32, u32, i64, u64, i128, u128, flag, c, ");
	check_error("pid,,name", "fields 'pid,,name': an empty field name");
	check_error("", "fields '': an empty field name");
	check_error("pid,pid", "fields 'pid,pid': 'pid' is given twice");
	check_error("in,in.s", "fields 'in,in.s': 'in.s' overlaps a field given before");
	check_error("pid.x", "fields 'pid.x': 'pid' is not a struct: it has no field 'x'");
	check_error("in.nope",
		    "fields 'in.nope': event type 'inner' has no field 'nope' (it has s, b)");
	check_error("pid name", "fields 'pid name': expected ',' between field names at 'name'");
	check_error("pid,in.", "fields 'pid,in.': expected a field name");
}

int main(void)
{
	CU_pSuite s;
	int failed;

	emf_set_print(NULL);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("field selections", NULL, NULL);
	CU_add_test(s, "all fields: every kind as compiled", test_every_kind);
	CU_add_test(s, "all fields: packed and anonymous", test_packed_and_anonymous);
	CU_add_test(s, "all fields: semantic types", test_semantic);
	CU_add_test(s, "all fields: random bytes, whole and cut", test_random_bytes);
	CU_add_test(s, "chosen fields: order, paths, JSON groups", test_chosen_fields);
	CU_add_test(s, "chosen fields: names and timestamps", test_chosen_semantic);
	CU_add_test(s, "errors name the problem", test_errors);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
