// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The filter language of <emf/filter.h> on synthetic events: each field kind
 * compares as its type says, names stand for numbers, strings match exactly or
 * as patterns, && || ! and parentheses combine, an event cut short fails a
 * number comparison, and every mistake is refused with a message saying where.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <CUnit/Basic.h>
#include <emf/event.h>
#include <emf/filter.h>
#include <emf/types.h>

struct inner {
	uint16_t port;
};

struct ev {
	int32_t pid;
	uint32_t uid;
	int64_t ret;
	int32_t sig;
	int32_t nr;
	uint8_t flag;
	int32_t state;
	uint32_t bits; /* lo:3 */
	uint32_t daddr;
	uint8_t addr[16];
	double load;
	struct inner in;
	char comm[16];
	char path[32]; /* trailing, may be cut short */
};

static const struct emf_field inner_fields[] = {
	{ .name = "port", .kind = EMF_FIELD_UINT, .offset = 0, .size = 2 },
};
static const struct emf_event_type inner_type = {
	.name = "inner",
	.size = sizeof(struct inner),
	.n_fields = 1,
	.fields = inner_fields,
};
static const struct emf_enum_value states[] = { { "TCP_LISTEN", 10 }, { "TCP_CLOSE", 7 } };

#define F(n, k, ...)                                                     \
	{                                                                \
		.name = #n, .kind = k, .offset = offsetof(struct ev, n), \
		.size = sizeof(((struct ev *)0)->n), __VA_ARGS__         \
	}
static const struct emf_field fields[] = {
	F(pid, EMF_FIELD_INT),
	F(uid, EMF_FIELD_UINT, .semantic = EMF_SEM_UID),
	F(ret, EMF_FIELD_INT, .semantic = EMF_SEM_RET),
	F(sig, EMF_FIELD_INT, .semantic = EMF_SEM_SIGNAL),
	F(nr, EMF_FIELD_INT, .semantic = EMF_SEM_SYSCALL),
	F(flag, EMF_FIELD_BOOL),
	F(state, EMF_FIELD_ENUM, .n_enum_values = 2, .enum_values = states),
	{ .name = "lo",
	  .kind = EMF_FIELD_UINT,
	  .offset = offsetof(struct ev, bits),
	  .size = 4,
	  .bit_offset = 4,
	  .bit_size = 3 },
	F(daddr, EMF_FIELD_IPV4),
	F(addr, EMF_FIELD_IPADDR, .count = 16),
	F(load, EMF_FIELD_FLOAT),
	F(in, EMF_FIELD_STRUCT, .type = &inner_type),
	F(comm, EMF_FIELD_STRING, .count = 16),
	F(path, EMF_FIELD_STRING, .count = 32),
};
static const struct emf_event_type type = {
	.name = "ev",
	.size = sizeof(struct ev),
	.min_size = offsetof(struct ev, path),
	.n_fields = sizeof(fields) / sizeof(fields[0]),
	.fields = fields,
};

static struct ev sample(void)
{
	struct ev e = {
		.pid = 42,
		.uid = 65534,
		.ret = -2,
		.sig = 9,
		.nr = SYS_openat,
		.flag = 1,
		.state = 10,
		.bits = 5 << 4 | 0xf,
		.daddr = htonl(0x0a000001),
		.load = 0.5,
		.in = { .port = 443 },
		.comm = "bash",
		.path = "/proc/1/status",
	};

	e.addr[10] = e.addr[11] = 0xff; /* ::ffff:192.168.0.1 */
	e.addr[12] = 192, e.addr[13] = 168, e.addr[15] = 1;
	return e;
}

/* 1 match, 0 no match, -1 refused. */
static int try(const char *expr, const struct ev *e, size_t size)
{
	struct emf_filter *f = NULL;
	char err[256];
	int ret;

	if (emf_filter__new(&type, expr, &f, err, sizeof(err))) {
		CU_ASSERT(strstr(err, "filter '") == err);
		return -1;
	}
	ret = emf_filter__match(f, e, size);
	emf_filter__free(f);
	return ret;
}

#define MATCH(expr) CU_ASSERT_EQUAL(try(expr, &e, sizeof(e)), 1)
#define NOMATCH(expr) CU_ASSERT_EQUAL(try(expr, &e, sizeof(e)), 0)
#define REFUSED(expr) CU_ASSERT_EQUAL(try(expr, &e, sizeof(e)), -1)

static void test_numbers(void)
{
	struct ev e = sample();

	MATCH("pid == 42");
	MATCH("pid != 41");
	MATCH("pid >= 42 && pid <= 42 && pid > 41 && pid < 43");
	MATCH("pid == 0x2a");
	NOMATCH("pid < 0");
	MATCH("ret < 0");
	MATCH("ret == -2");
	MATCH("uid > 1000");
	e.uid = (uint32_t)-1;
	MATCH("uid == -1"); /* an unsigned field's largest value */
	NOMATCH("uid < 0");
	e = sample();
	MATCH("flag == true");
	NOMATCH("flag == false");
	MATCH("lo == 5"); /* bits 4..6 only */
	MATCH("load > 0.25 && load < 1");
	MATCH("in.port == 443");
}

static void test_names(void)
{
	struct ev e = sample();

	MATCH("ret == ENOENT"); /* emf_ret_t: -ENOENT */
	NOMATCH("ret == EPERM");
	MATCH("sig == SIGKILL");
	MATCH("sig != SIGTERM");
	MATCH("nr == openat");
	NOMATCH("nr == read");
	CU_ASSERT_EQUAL(try("sig == SIGNOPE", &e, sizeof(e)), -1);
	CU_ASSERT_EQUAL(try("nr == no_such_call", &e, sizeof(e)), -1);
	MATCH("uid == \"nobody\"");
	MATCH("uid == nobody");
	MATCH("state == TCP_LISTEN");
	NOMATCH("state == TCP_CLOSE");
	MATCH("state == 10");
}

static void test_strings_and_addresses(void)
{
	struct ev e = sample();

	MATCH("comm == \"bash\"");
	NOMATCH("comm == \"bas\"");
	MATCH("comm != \"zsh\"");
	MATCH("path == \"/proc/*\"");
	MATCH("path == \"/proc/[0-9]/status\"");
	NOMATCH("path == \"/sys/*\"");
	MATCH("comm == \"b\\ash\""); /* an escaped ordinary char is itself */
	MATCH("daddr == \"10.0.0.1\"");
	NOMATCH("daddr == \"10.0.0.2\"");
	MATCH("addr == \"192.168.0.1\""); /* v4-mapped */
	MATCH("addr == \"::ffff:192.168.0.1\"");
	memset(e.addr, 0, sizeof(e.addr));
	e.addr[0] = 192, e.addr[1] = 168, e.addr[3] = 1; /* IPv4 in the first 4 bytes */
	MATCH("addr == \"192.168.0.1\"");
	e.addr[15] = 1;
	NOMATCH("addr == \"192.168.0.1\"");
}

/* struct emf_endpoint: whole, or by its parts. */
struct ep_ev {
	struct emf_endpoint local, peer;
};

static const struct emf_field ep_parts[] = {
	{ .name = "addr", .kind = EMF_FIELD_IPADDR, .size = 16, .count = 16 },
	{ .name = "port", .kind = EMF_FIELD_UINT, .offset = 16, .size = 2 },
};
static const struct emf_event_type ep_type = {
	.name = "emf_endpoint", .size = sizeof(struct emf_endpoint), .n_fields = 2, .fields = ep_parts,
};
static const struct emf_field ep_fields[] = {
	{ .name = "local", .kind = EMF_FIELD_ENDPOINT, .size = 18, .type = &ep_type },
	{ .name = "peer", .kind = EMF_FIELD_ENDPOINT, .offset = 18, .size = 18, .type = &ep_type },
};
static const struct emf_event_type ep_ev_type = {
	.name = "ep_ev", .size = sizeof(struct ep_ev), .min_size = sizeof(struct ep_ev),
	.n_fields = 2, .fields = ep_fields,
};

static int try_ep(const char *expr, const struct ep_ev *e)
{
	struct emf_filter *f = NULL;
	char err[256];
	int ret;

	if (emf_filter__new(&ep_ev_type, expr, &f, err, sizeof(err)))
		return strstr(err, "filter '") == err ? -1 : -2;
	ret = emf_filter__match(f, e, sizeof(*e));
	emf_filter__free(f);
	return ret;
}

static void test_endpoints(void)
{
	struct ep_ev e = { .local = { .addr = { 10, 0, 0, 1 }, .port = 80 },
			   .peer = { .addr = { [15] = 1 }, .port = 22 } };

	CU_ASSERT_EQUAL(try_ep("local == \"10.0.0.1:80\"", &e), 1);
	CU_ASSERT_EQUAL(try_ep("local != \"10.0.0.1:81\"", &e), 1);
	CU_ASSERT_EQUAL(try_ep("local == \"10.0.0.2:80\"", &e), 0);
	CU_ASSERT_EQUAL(try_ep("peer == \"[::1]:22\"", &e), 1);
	CU_ASSERT_EQUAL(try_ep("peer == \"[::2]:22\"", &e), 0);
	CU_ASSERT_EQUAL(try_ep("local.port == 80 && peer.port < 1024", &e), 1);
	CU_ASSERT_EQUAL(try_ep("local.addr == \"10.0.0.1\" && peer.addr == \"::1\"", &e), 1);
	CU_ASSERT_EQUAL(try_ep("local.addr == \"10.0.0.2\"", &e), 0);
	/* v4-mapped is the same IPv4 endpoint. */
	memset(e.local.addr, 0, 16);
	e.local.addr[10] = e.local.addr[11] = 0xff;
	e.local.addr[12] = 10, e.local.addr[15] = 1;
	CU_ASSERT_EQUAL(try_ep("local == \"10.0.0.1:80\"", &e), 1);
	/* Not endpoints, or ordered: refused with a message. */
	CU_ASSERT_EQUAL(try_ep("local == \"10.0.0.1\"", &e), -1);
	CU_ASSERT_EQUAL(try_ep("local == \"::1:22\"", &e), -1);
	CU_ASSERT_EQUAL(try_ep("local == \"10.0.0.1:65536\"", &e), -1);
	CU_ASSERT_EQUAL(try_ep("local == \"10.0.0.1:\"", &e), -1);
	CU_ASSERT_EQUAL(try_ep("local == \"[10.0.0.1]:80\"", &e), -1);
	CU_ASSERT_EQUAL(try_ep("local < \"10.0.0.1:80\"", &e), -1);
	CU_ASSERT_EQUAL(try_ep("local == 80", &e), -1);
	CU_ASSERT_EQUAL(try_ep("local.pid == 80", &e), -1);
}

static void test_logic(void)
{
	struct ev e = sample();

	MATCH("comm == \"bash\" && ret < 0");
	NOMATCH("comm == \"bash\" && ret >= 0");
	MATCH("pid == 1 || pid == 42");
	MATCH("pid == 1 || pid == 2 || comm == \"bash\"");
	MATCH("!(pid == 1)");
	NOMATCH("!pid == 42");
	/* && before ||: true || (false && false) */
	MATCH("pid == 42 || pid == 1 && pid == 2");
	NOMATCH("(pid == 42 || pid == 1) && pid == 2");
	MATCH("  ( ( pid==42 ) )  ");
}

static void test_cut_short(void)
{
	struct ev e = sample();
	size_t cut = offsetof(struct ev, path) + 6; /* "/proc/" arrived */

	CU_ASSERT_EQUAL(try("path == \"/proc/\"", &e, cut), 1);
	CU_ASSERT_EQUAL(try("path == \"/proc/*\"", &e, cut), 1);
	CU_ASSERT_EQUAL(try("pid == 42", &e, cut), 1);
	CU_ASSERT_EQUAL(try("in.port == 443", &e, offsetof(struct ev, in)), 0);
}

static void test_refused(void)
{
	struct emf_filter *f = NULL;
	struct ev e = sample();
	char err[256];

	REFUSED("");
	REFUSED("pid");
	REFUSED("pid ==");
	REFUSED("pid == 42 &&");
	REFUSED("(pid == 42");
	REFUSED("pid == 42)");
	REFUSED("pid = 42");
	REFUSED("pid == 4x");
	REFUSED("pid == \"42\"");
	REFUSED("comm == 42");
	REFUSED("comm < \"a\"");
	REFUSED("comm == \"open");
	REFUSED("daddr == \"10.0.0\"");
	REFUSED("ret == EFOO");
	REFUSED("uid == nosuchuser_x");
	REFUSED("state == TCP_NOPE");
	REFUSED("in == 1");
	REFUSED("in.nope == 1");
	REFUSED("pid.x == 1");
	REFUSED("nope == 1");
	REFUSED("load == x");

	CU_ASSERT_EQUAL(emf_filter__new(&type, "nope == 1", &f, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NULL(f);
	CU_ASSERT_STRING_EQUAL(
		err,
		"filter 'nope == 1', at column 1: event type 'ev' has no field 'nope' "
		"(it has pid, uid, ret, sig, nr, flag, state, lo, daddr, addr, load, in, comm, path)");
	CU_ASSERT_EQUAL(emf_filter__new(&type, "comm == 1", &f, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "filter 'comm == 1', at column 9: field 'comm' (string) "
				    "compares with a \"quoted\" value");
	CU_ASSERT_EQUAL(emf_filter__new(NULL, "pid == 1", &f, NULL, 0), -EINVAL);
	CU_ASSERT(emf_filter__match(NULL, &e, sizeof(e))); /* no filter: everything */
	emf_filter__free(NULL);
}

int main(void)
{
	unsigned int failed;
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("filter", NULL, NULL);
	CU_add_test(s, "numbers, bools, bitfields, floats, nested", test_numbers);
	CU_add_test(s, "names for errnos, signals, users, enums", test_names);
	CU_add_test(s, "strings, patterns, addresses", test_strings_and_addresses);
	CU_add_test(s, "endpoints whole and by part", test_endpoints);
	CU_add_test(s, "&&, ||, !, parentheses", test_logic);
	CU_add_test(s, "an event cut short", test_cut_short);
	CU_add_test(s, "mistakes refused, with where and what", test_refused);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
