// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Compile-and-run test of emf-codegen's output for tests/codegen/alltypes:
 * events built in C through the generated host mirror, decoded and rendered
 * (text, JSON lines, jansson), every field kind checked, variable-length and
 * packed events, option parsing through the generated option table; and for
 * tests/codegen/anon, an event with several anonymous members.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <CUnit/Basic.h>
#include <jansson.h>

#include <emf/errno.h>
#include <emf/fmt.h>
#include <emf/log.h>
#include <emf/runtime.h>
#include <emf/types.h>

#include "alltypes.emf.h"
#include "anon.emf.h"
#include "alltypes_fill.h"

static const struct emf_event_type *T = &alltypes__event__type;

static const char want_json[] =
	"\"i8\":-128,\"u8\":255,\"i16\":-32768,\"u16\":65535,\"i32\":-2147483648,"
	"\"u32\":4294967295,\"i64\":-9223372036854775808,\"u64\":18446744073709551615,"
	"\"i128\":-1267650600228229401496703205376,"
	"\"u128\":340282366920938463463374607431768211455,\"flag\":true,\"c\":65,"
	"\"color\":\"BLUE\",\"pid\":42,\"ts\":123456789,\"name\":\"12345678\",\"arr\":[1,2,3],"
	"\"matrix\":[[1,2],[3,-4]],\"in\":{\"s\":-5,\"b\":6},\"ins\":[{\"s\":0,\"b\":0},"
	"{\"s\":7,\"b\":0}],\"num\":{\"i\":-1,\"u\":4294967295},\"point\":{\"x\":10,\"y\":20},"
	"\"ptr\":\"0xffff888012345678\",\"bf1\":5,\"bf2\":31,\"bf3\":-3,\"f\":1.5,\"d\":-0.25,"
	"\"tail\":\"tail\"";

static char *render(char *(*fn)(char *, const void *, size_t), size_t max, const void *data,
		    size_t size)
{
	static char out[8192];
	char *end = fn(out, data, size);

	CU_ASSERT_FATAL((size_t)(end - out) <= max);
	*end = '\0';
	return out;
}

/* The jansson builder of @type gives the same object as its JSON-lines writer. */
static void check_jansson_matches(const struct emf_event_type *type, const void *data, size_t size)
{
	char wrapped[8300];
	json_t *j, *w;

	snprintf(wrapped, sizeof(wrapped), "{%s}",
		 render(type->render_json, type->json_max, data, size));
	w = json_loads(wrapped, 0, NULL);
	j = type->to_json(data, size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT(json_equal(j, w));
	json_decref(j);
	json_decref(w);
}

static void test_json_every_kind(void)
{
	struct alltypes__event e;

	alltypes_fill(&e);
	CU_ASSERT_STRING_EQUAL(render(T->render_json, T->json_max, &e, sizeof(e)), want_json);
}

static void test_text_every_kind(void)
{
	struct alltypes__event e;
	char *s;

	alltypes_fill(&e);
	s = render(T->render_text, T->text_max, &e, sizeof(e));
	CU_ASSERT_STRING_EQUAL(
		s, "-128  255   -32768 65535 -2147483648 4294967295 -9223372036854775808 "
		   "18446744073709551615 -1267650600228229401496703205376 "
		   "340282366920938463463374607431768211455 true  65    BLUE    42      "
		   "123456789  12345678 [1,2,3] [[1,2],[3,-4]] {s=-5 b=6} [{s=0 b=0},{s=7 b=0}] "
		   "{i=-1 u=4294967295} {x=10 y=20} 0xffff888012345678 5     31    -3    "
		   "1.5        -0.25      tail");
	CU_ASSERT_PTR_NOT_NULL(strstr(T->text_header, "I8    U8    I16   "));
}

static void test_jansson_matches_writer(void)
{
	struct alltypes__event e;
	json_t *j, *v;

	alltypes_fill(&e);
	/* jansson integers stop at 64 bits: compare values it can hold. */
	e.u64 = 1;
	e.i128 = -2;
	e.u128 = 3;
	check_jansson_matches(T, &e, sizeof(e));
	/* Beyond 64 bits jansson holds a real, never a wrapped integer. */
	alltypes_fill(&e);
	j = T->to_json(&e, sizeof(e));
	v = json_object_get(j, "u64");
	CU_ASSERT(json_is_real(v) && json_real_value(v) > 1.8e19);
	v = json_object_get(j, "i128");
	CU_ASSERT(json_is_real(v) && json_real_value(v) < -1.2e30);
	json_decref(j);
}

static void test_field_table(void)
{
	const struct emf_field *f;

	CU_ASSERT_EQUAL(T->size, sizeof(struct alltypes__event));
	f = emf_event_type__field(T, "color");
	CU_ASSERT_EQUAL_FATAL(f->kind, EMF_FIELD_ENUM);
	CU_ASSERT_EQUAL(f->n_enum_values, 4);
	CU_ASSERT_STRING_EQUAL(f->enum_values[2].name, "BLUE");
	CU_ASSERT_EQUAL(f->enum_values[2].value, 7);
	f = emf_event_type__field(T, "matrix");
	CU_ASSERT_EQUAL(f->count, 4);
	CU_ASSERT_EQUAL(f->size, 16);
	CU_ASSERT_EQUAL(f->kind, EMF_FIELD_INT);
	f = emf_event_type__field(T, "bf2");
	CU_ASSERT_EQUAL(f->bit_size, 5);
	CU_ASSERT_EQUAL(f->bit_offset, 3);
	f = emf_event_type__field(T, "ins");
	CU_ASSERT_EQUAL(f->kind, EMF_FIELD_STRUCT);
	CU_ASSERT_PTR_EQUAL(f->type, &alltypes__inner__type);
	CU_ASSERT_EQUAL(emf_event_type__field(T, "num")->kind, EMF_FIELD_UNION);
	CU_ASSERT_EQUAL(emf_event_type__field(T, "ptr")->kind, EMF_FIELD_POINTER);
	CU_ASSERT_EQUAL(emf_event_type__field(T, "flag")->kind, EMF_FIELD_BOOL);
	CU_ASSERT_EQUAL(emf_event_type__field(T, "f")->kind, EMF_FIELD_FLOAT);
	CU_ASSERT_EQUAL(emf_event_type__field(T, "name")->kind, EMF_FIELD_STRING);
	CU_ASSERT_EQUAL(emf_event_type__field(T, "u128")->size, 16);
	CU_ASSERT_EQUAL(emf_event_type__field(T, "pid")->kind, EMF_FIELD_INT);
}

static void test_trailing_array_cut(void)
{
	size_t size = T->min_size + 2;
	struct alltypes__event *e = malloc(sizeof(*e));
	void *cut;
	char *s;

	alltypes_fill(e);
	cut = malloc(size); /* exact size: a read past it is caught by ASan/valgrind */
	memcpy(cut, e, size);
	CU_ASSERT_EQUAL(T->min_size, offsetof(struct alltypes__event, tail));
	CU_ASSERT_PTR_NOT_NULL(alltypes__event__from(cut, size));
	s = render(T->render_json, T->json_max, cut, size);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, ",\"tail\":\"ta\""));
	CU_ASSERT_PTR_NULL(alltypes__event__from(cut, T->min_size - 1));
	CU_ASSERT_EQUAL(emf_event_type__check(T, T->min_size - 1), -EMF_ERRNO__TRUNC);
	free(cut);
	free(e);
}

static void test_packed_event(void)
{
	const struct emf_event_type *P = &alltypes__packed_event__type;
	struct alltypes__packed_event p = { .tag = 'p', .value = 1ULL << 40, .port = 443 };

	CU_ASSERT_EQUAL(P->size, 11);
	CU_ASSERT_EQUAL(offsetof(struct alltypes__packed_event, value), 1);
	CU_ASSERT_STRING_EQUAL(render(P->render_json, P->json_max, &p, sizeof(p)),
			       "\"tag\":112,\"value\":1099511627776,\"port\":443");
	/* Two outputs, each declared with EMF_EVENT(): a ring buffer and a perf buffer. */
	CU_ASSERT_EQUAL_FATAL(alltypes__plugin.n_outputs, 4);
	for (uint32_t i = 0; i < 4; i++) {
		const struct emf_output *o = &alltypes__plugin.outputs[i];
		bool ring = !strcmp(o->map_name, "events");

		if (!strcmp(o->map_name, "sem_events") || !strcmp(o->map_name, "stack_events"))
			continue;
		CU_ASSERT(ring || !strcmp(o->map_name, "packed_events"));
		CU_ASSERT_EQUAL(o->kind, ring ? EMF_OUTPUT_RINGBUF : EMF_OUTPUT_PERFBUF);
		CU_ASSERT_PTR_EQUAL(o->event, ring ? T : P);
	}
	CU_ASSERT_STRING_EQUAL(alltypes__plugin.description, "codegen test: every field kind");
	CU_ASSERT_EQUAL(alltypes__plugin.priority, 70);
}

/* The BPF side may send any byte in a bool: rendered as true, never read as a _Bool. */
static void test_bool_bytes(void)
{
	struct alltypes__event e;
	uint8_t b = 233;
	json_t *j;

	alltypes_fill(&e);
	memcpy(&e.flag, &b, 1);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(render(T->render_json, T->json_max, &e, sizeof(e)), ",\"flag\":true,"));
	CU_ASSERT_PTR_NOT_NULL(
		strstr(render(T->render_text, T->text_max, &e, sizeof(e)), " true "));
	j = T->to_json(&e, sizeof(e));
	CU_ASSERT(json_is_true(json_object_get(j, "flag")));
	json_decref(j);
	b = 0;
	memcpy(&e.flag, &b, 1);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(render(T->render_json, T->json_max, &e, sizeof(e)), ",\"flag\":false,"));
}

/*
 * Several anonymous members in one struct, and one nested in a named member:
 * each is a type of its own, named after its position, and every field
 * decodes from where the BPF object put it.
 */
static void test_anonymous_members(void)
{
	const struct emf_event_type *A = &anon__event__type;
	struct anon__event e;
	uint8_t b = 233;

	CU_ASSERT_EQUAL(A->size, sizeof(e));
	CU_ASSERT_EQUAL(offsetof(struct anon__event, __anon1), 4);
	CU_ASSERT_EQUAL(offsetof(struct anon__event, __anon2), 8);
	CU_ASSERT_EQUAL(offsetof(struct anon__event, __anon3), 12);
	memset(&e, 0, sizeof(e));
	e.pid = 42;
	e.__anon1.err = -2;
	e.__anon2.sport = 443;
	e.__anon2.dport = 8080;
	e.__anon3.v4[0] = 10;
	e.__anon3.v4[3] = 1;
	e.tag.proto = 6;
	e.tag.__anon1.flags = 0x11;
	memcpy(&e.ok, &b, 1);
	CU_ASSERT_STRING_EQUAL(
		render(A->render_json, A->json_max, &e, sizeof(e)),
		"\"pid\":42,\"__anon1\":{\"uid\":4294967294,\"err\":-2},"
		"\"__anon2\":{\"sport\":443,\"dport\":8080},"
		"\"__anon3\":{\"v4\":[10,0,0,1],\"addr\":16777226},"
		"\"tag\":{\"proto\":6,\"__anon1\":{\"flags\":17,\"on\":true}},\"ok\":true");
	CU_ASSERT_STRING_EQUAL(
		render(A->render_text, A->text_max, &e, sizeof(e)),
		"42      {uid=4294967294 err=-2} {sport=443 dport=8080} "
		"{v4=[10,0,0,1] addr=16777226} {proto=6 __anon1={flags=17 on=true}} true");
	check_jansson_matches(A, &e, sizeof(e));
	CU_ASSERT_EQUAL(emf_event_type__field(A, "__anon2")->kind, EMF_FIELD_STRUCT);
	CU_ASSERT_PTR_EQUAL(emf_event_type__field(A, "__anon2")->type, &anon__event__anon2__type);
	CU_ASSERT_EQUAL(emf_event_type__field(A, "__anon3")->kind, EMF_FIELD_UNION);
	CU_ASSERT_PTR_EQUAL(emf_event_type__field(A, "__anon3")->type, &anon__event__anon3__type);
}

/* What the sample walker of libemfsdk writes for one entry keyed by @key of @type. */
static char *sample_json(const struct emf_event_type *type, const void *key)
{
	static struct emf_buf b;
	struct emf_runtime *rt = emf_runtime__new(NULL);
	struct emf_plugin *p = emf_runtime__add(rt, &alltypes__plugin);
	const uint64_t count = 7;
	const struct emf_sample s = {
		.map_name = "m",
		.kind = EMF_SAMPLE_COUNTERS,
		.key = { .name = "key", .kind = EMF_FIELD_STRUCT, .size = type->size, .type = type },
		.value = { .name = "value", .kind = EMF_FIELD_UINT, .size = 8 },
	};
	const struct emf_sample_data d = {
		.plugin = p, .sample = &s, .n = 1, .keys = key, .values = &count
	};

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	emf_buf__reset(&b);
	CU_ASSERT_EQUAL(emf_sample_data__json(&d, &b), 0);
	emf_runtime__destroy(rt);
	return b.data;
}

static void test_semantic_event(void)
{
	const struct emf_event_type *S = &alltypes__sem_event__type;
	struct alltypes__sem_event ev;
	char *s;
	size_t cut;

	alltypes_sem_fill(&ev);
	/* The boot-time field is the event's time; text leaves it to the TIME column. */
	CU_ASSERT_EQUAL(S->time_clock, EMF_CLOCK_BOOTTIME);
	CU_ASSERT_EQUAL(S->time_offset, 0);
	CU_ASSERT_STRING_EQUAL(S->text_header, "ERR     RET     SIG       UID      GID      NR           FLAGS              MODE  V4              LOCAL                 PEER                  ARGS");
	CU_ASSERT_STRING_EQUAL(render(S->render_text, S->text_max, &ev, sizeof(ev)),
			       "ENOENT  EACCES  SIGTERM   root     root     openat       O_WRONLY|O_CREAT|O_CLOEXEC 0644  10.0.0.1        10.0.0.1:80           [::1]:65535           ls -l /tmp");
	s = render(S->render_json, S->json_max, &ev, sizeof(ev));
	CU_ASSERT_STRING_EQUAL(s, "\"when\":123456789012,\"err\":-2,\"err_name\":\"ENOENT\","
				  "\"ret\":-13,\"ret_name\":\"EACCES\",\"sig\":15,\"sig_name\":\"SIGTERM\","
				  "\"uid\":0,\"uid_name\":\"root\",\"gid\":0,\"gid_name\":\"root\","
				  "\"nr\":257,\"nr_name\":\"openat\","
				  "\"flags\":524353,\"flags_name\":\"O_WRONLY|O_CREAT|O_CLOEXEC\","
				  "\"mode\":420,\"mode_name\":\"0644\",\"v4\":\"10.0.0.1\","
				  "\"local\":{\"addr\":\"10.0.0.1\",\"port\":80,\"text\":\"10.0.0.1:80\"},"
				  "\"peer\":{\"addr\":\"::1\",\"port\":65535,\"text\":\"[::1]:65535\"},"
				  "\"args\":[\"ls\",\"-l\",\"/tmp\"]");
	/* The jansson object says the same. */
	check_jansson_matches(S, &ev, sizeof(ev));
	/* Field metadata keeps the integer kind and says what it means. */
	CU_ASSERT_EQUAL(emf_event_type__field(S, "uid")->kind, EMF_FIELD_UINT);
	CU_ASSERT_EQUAL(emf_event_type__field(S, "uid")->semantic, EMF_SEM_UID);
	CU_ASSERT_EQUAL(emf_event_type__field(S, "ret")->semantic, EMF_SEM_RET);
	CU_ASSERT_EQUAL(emf_event_type__field(S, "args")->semantic, EMF_SEM_ARGV);
	/* The field table's walker (sampled maps) renders endpoints alike. */
	s = sample_json(S, &ev);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"local\":{\"addr\":\"10.0.0.1\",\"port\":80,\"text\":\"10.0.0.1:80\"},"
					 "\"peer\":{\"addr\":\"::1\",\"port\":65535,\"text\":\"[::1]:65535\"}"));
	/* So do field selections, in text and JSON. */
	{
		static char all[8192];
		struct emf_fields *fs = NULL;

		CU_ASSERT_EQUAL_FATAL(emf_fields__new(S, "local,peer", &fs, NULL, 0), 0);
		*emf_fields__json(fs, all, &ev, sizeof(ev)) = '\0';
		CU_ASSERT_STRING_EQUAL(all, "\"local\":{\"addr\":\"10.0.0.1\",\"port\":80,\"text\":\"10.0.0.1:80\"},"
					    "\"peer\":{\"addr\":\"::1\",\"port\":65535,\"text\":\"[::1]:65535\"}");
		*emf_fields__text(fs, all, &ev, sizeof(ev)) = '\0';
		CU_ASSERT_STRING_EQUAL(all, "10.0.0.1:80           [::1]:65535");
		emf_fields__free(fs);
		CU_ASSERT_EQUAL_FATAL(emf_fields__new(S, "local.port", &fs, NULL, 0), 0);
		*emf_fields__json(fs, all, &ev, sizeof(ev)) = '\0';
		CU_ASSERT_STRING_EQUAL(all, "\"local\":{\"port\":80}"); /* as nested paths are */
		emf_fields__free(fs);
	}
	/* An endpoint is a kind of its own, with its parts for filters. */
	CU_ASSERT_EQUAL(emf_event_type__field(S, "local")->kind, EMF_FIELD_ENDPOINT);
	CU_ASSERT_EQUAL(emf_event_type__field(S, "local")->size, sizeof(struct emf_endpoint));
	CU_ASSERT_PTR_NOT_NULL_FATAL(emf_event_type__field(S, "local")->type);
	CU_ASSERT_EQUAL(emf_event_type__field(emf_event_type__field(S, "local")->type, "port")->kind,
			EMF_FIELD_UINT);
	CU_ASSERT_EQUAL(emf_event_type__field(emf_event_type__field(S, "peer")->type, "addr")->kind,
			EMF_FIELD_IPADDR);
	/* Success, unknown names and numbers: the number, in both. */
	ev.ret = 3;
	ev.sig = 0;
	ev.err = 4000;
	ev.uid = 4000000000u;
	ev.nr = 100000;
	ev.flags = 0;
	ev.mode = 0100755;
	s = render(S->render_text, S->text_max, &ev, sizeof(ev));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "4000    3       0         4000000000 root     100000       O_RDONLY           0100755 "));
	s = render(S->render_json, S->json_max, &ev, sizeof(ev));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"ret\":3,\"ret_name\":\"3\",\"sig\":0,\"sig_name\":\"0\""));
	/* A packed argv cut short by the event's size stops at what arrived. */
	cut = offsetof(struct alltypes__sem_event, args) + 5;
	s = render(S->render_json, S->json_max, &ev, cut);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"args\":[\"ls\",\"-l\"]"));
	s = render(S->render_text, S->text_max, &ev, offsetof(struct alltypes__sem_event, args));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "10.0.0.1        10.0.0.1:80           [::1]:65535"));
	/* v4-mapped addresses read as IPv4; the all-zero address as IPv6's "::". */
	memset(&ev.local.addr, 0, sizeof(ev.local.addr));
	ev.local.addr[10] = ev.local.addr[11] = 0xff;
	ev.local.addr[12] = 127;
	ev.local.addr[15] = 1;
	ev.local.port = 0;
	memset(&ev.peer.addr, 0, sizeof(ev.peer.addr));
	s = render(S->render_text, S->text_max, &ev, sizeof(ev));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "127.0.0.1:0           [::]:65535 "));
	check_jansson_matches(S, &ev, sizeof(ev));
}

static void test_stack_event(void)
{
	const struct emf_event_type *S = &alltypes__stack_event__type;
	struct alltypes__stack_event ev = {
		.pid = getpid(),
		/* Below every kernel symbol: addresses, in every kernel; frames end at 0. */
		.kstack = { 0x10, 0x20, 0, 0x30 },
		.ustack = { (uint64_t)(uintptr_t)test_stack_event + 5, (uint64_t)(uintptr_t)getpid,
			    0x10, 0 },
	};
	char *s, exe[4096], want[4200];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	CU_ASSERT_FATAL(n > 0);
	exe[n] = '\0';
	CU_ASSERT_EQUAL(emf_event_type__field(S, "kstack")->semantic, EMF_SEM_KSTACK);
	CU_ASSERT_EQUAL(emf_event_type__field(S, "ustack")->semantic, EMF_SEM_USTACK);
	CU_ASSERT_EQUAL(emf_event_type__field(S, "ustack")->pid_offset, 1);
	CU_ASSERT_STRING_EQUAL(S->fields[0].name, "pid");
	s = render(S->render_text, S->text_max, &ev, sizeof(ev));
	/* This test's own function from its .symtab, libc's from its .dynsym. */
	snprintf(want, sizeof(want), "0x10;0x20                test_stack_event+0x5 (%s);", exe);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, want));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "getpid+0x0 (/"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "libc.so.6);0x10"));
	s = render(S->render_json, S->json_max, &ev, sizeof(ev));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"kstack\":[\"0x10\",\"0x20\"],\"ustack\":[\"test_stack_event+0x5 ("));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "libc.so.6)\",\"0x10\"]"));
	check_jansson_matches(S, &ev, sizeof(ev));
	/* The field table's walker (sampled maps) names the same frames. */
	s = sample_json(S, &ev);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"kstack\":[\"0x10\",\"0x20\"],\"ustack\":[\"test_stack_event+0x5 ("));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "libc.so.6)\",\"0x10\"]},\"value\":7}"));
	/* Field selections walk the table too: every field as the compiled JSON, or a few. */
	{
		static char all[8192], some[8192];
		struct emf_fields *fs = NULL;

		CU_ASSERT_EQUAL_FATAL(emf_fields__new(S, NULL, &fs, NULL, 0), 0);
		*emf_fields__json(fs, all, &ev, sizeof(ev)) = '\0';
		CU_ASSERT_STRING_EQUAL(all, render(S->render_json, S->json_max, &ev, sizeof(ev)));
		emf_fields__free(fs);
		CU_ASSERT_EQUAL_FATAL(emf_fields__new(S, "ustack", &fs, NULL, 0), 0);
		CU_ASSERT_FATAL(emf_fields__json_max(fs) < sizeof(some));
		*emf_fields__json(fs, some, &ev, sizeof(ev)) = '\0';
		CU_ASSERT(!strncmp(some, "\"ustack\":[\"test_stack_event+0x5 (", 32));
		emf_fields__free(fs);
	}
	/* A stack cut short by the event's size stops at what arrived. */
	s = render(S->render_json, S->json_max, &ev, offsetof(struct alltypes__stack_event, ustack) + 8);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"ustack\":[\"test_stack_event+0x5 ("));
	CU_ASSERT_PTR_NOT_NULL(strstr(s, ")\"]"));
	/* No such process: addresses. */
	ev.pid = 0x7ffffff0;
	s = render(S->render_text, S->text_max, &ev, sizeof(ev));
	snprintf(want, sizeof(want), "0x%llx;0x%llx;0x10", (unsigned long long)ev.ustack[0],
		 (unsigned long long)ev.ustack[1]);
	CU_ASSERT_PTR_NOT_NULL(strstr(s, want));
}

static void test_options(void)
{
	struct emf_runtime *rt = emf_runtime__new(NULL);
	struct emf_plugin *p = emf_runtime__add(rt, &alltypes__plugin);
	const struct emf_option *o;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(alltypes__plugin.n_options, 7);
	CU_ASSERT_EQUAL(alltypes__plugin.option_size, sizeof(struct emf_option));
	o = emf_plugin__option(p, "level");
	CU_ASSERT_STRING_EQUAL(o->defval, "-3");
	CU_ASSERT_STRING_EQUAL(o->type_name, "int");
	CU_ASSERT_STRING_EQUAL(emf_plugin__option(p, "limit")->defval, "1000");
	CU_ASSERT_STRING_EQUAL(emf_plugin__option(p, "verbose")->defval, "true");
	CU_ASSERT_STRING_EQUAL(emf_plugin__option(p, "label")->defval, "abc");
	CU_ASSERT_STRING_EQUAL(emf_plugin__option(p, "shade")->defval, "BLUE");
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "level", "-2147483648"), 0);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "level", "2147483648"), -ERANGE);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "limit", "-2"), -ERANGE);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "limit", "-1"), 0); /* all ones */
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "limit", "0x10"), 0);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "verbose", "off"), 0);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "verbose", "maybe"), -EINVAL);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "label", "1234567"), 0);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "label", "12345678"), -ERANGE);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "shade", "GREEN"), 0);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "shade", "PURPLE"), -EINVAL);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "nope", "1"), -ENOENT);
	/* Descriptions, friendly types and long names, from the .bpf.c. */
	o = emf_plugin__option(p, "level");
	CU_ASSERT_STRING_EQUAL(o->description, "a \"level\", quoted, with a \\ in it?");
	CU_ASSERT_STRING_EQUAL(o->friendly_type, "s32");
	o = emf_plugin__option(p, "limit");
	CU_ASSERT_STRING_EQUAL(o->description, "the largest value, told in two line comments");
	CU_ASSERT_STRING_EQUAL(o->friendly_type, "u64");
	o = emf_plugin__option(p, "verbose");
	CU_ASSERT_STRING_EQUAL(o->description, "A block comment above: print more.");
	CU_ASSERT_STRING_EQUAL(o->friendly_type, "bool");
	o = emf_plugin__option(p, "label");
	CU_ASSERT_STRING_EQUAL(o->description, "a label; limit = 1 here is no declaration");
	CU_ASSERT_STRING_EQUAL(o->friendly_type, "string(7)");
	o = emf_plugin__option(p, "shade");
	CU_ASSERT_STRING_EQUAL(o->description, "");
	CU_ASSERT_STRING_EQUAL(o->friendly_type, "RED|GREEN|BLUE|CRIMSON");
	o = emf_plugin__option(p, "target_pid");
	CU_ASSERT_STRING_EQUAL(o->friendly_type, "pid");
	CU_ASSERT_STRING_EQUAL(o->long_name, "pid");
	CU_ASSERT_PTR_EQUAL(emf_plugin__option(p, "pid"), o);
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "pid", "42"), 0);
	o = emf_plugin__option(p, "port");
	CU_ASSERT_STRING_EQUAL(o->description, "blanks squeezed");
	CU_ASSERT_STRING_EQUAL(o->friendly_type, "u16 0-65535");
	CU_ASSERT_EQUAL(emf_plugin__set_option(p, "port", "65536"), -ERANGE);
	CU_ASSERT_EQUAL(alltypes__set_level(p, 7), 0);
	CU_ASSERT_EQUAL(alltypes__set_label(p, "xyz"), 0);
	CU_ASSERT_EQUAL(emf_plugin__set_option_raw(p, "level", "ab", 2), -EINVAL);
	emf_runtime__destroy(rt);
}

int main(void)
{
	CU_pSuite s;
	int failed;

	emf_set_print(NULL); /* refusals below are expected */
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("codegen types", NULL, NULL);
	CU_add_test(s, "JSON of every field kind", test_json_every_kind);
	CU_add_test(s, "text of every field kind", test_text_every_kind);
	CU_add_test(s, "jansson object equals the JSON writer", test_jansson_matches_writer);
	CU_add_test(s, "field metadata table", test_field_table);
	CU_add_test(s, "trailing array cut short", test_trailing_array_cut);
	CU_add_test(s, "packed event and several outputs", test_packed_event);
	CU_add_test(s, "semantic types: names, time, argv", test_semantic_event);
	CU_add_test(s, "stacks symbolised", test_stack_event);
	CU_add_test(s, "options from const volatile globals", test_options);
	CU_add_test(s, "bool fields holding any byte", test_bool_bytes);
	CU_add_test(s, "several anonymous members", test_anonymous_members);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
