// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * emf-agent --fields on a plugin of several event types (tests/codegen/alltypes
 * sends three; no bundled plugin does): each type gets the fields of the list
 * it has, in the list's order; a type with none stays whole; a field no type
 * has is refused with what each type has.
 */
#include <stdio.h>
#include <string.h>
#include <CUnit/Basic.h>

#include <emf/event.h>
#include <emf/log.h>
#include <emf/runtime.h>

#include "agent.h"
#include "alltypes.emf.h"

static struct emf_runtime *rt;
static struct emf_plugin *p;

/* Run agent_fields_add() with stderr caught in @err. */
static int add(struct agent_fields *af, const char *list, char *err, size_t size)
{
	FILE *f = tmpfile(), *saved = stderr;
	size_t n;
	int ret;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	stderr = f;
	ret = agent_fields_add(af, p, list);
	stderr = saved;
	rewind(f);
	n = fread(err, 1, size - 1, f);
	err[n] = '\0';
	fclose(f);
	return ret;
}

static void test_each_type_what_it_has(void)
{
	struct agent_fields af = {};
	const struct emf_fields *fs;
	char err[1024];

	CU_ASSERT_EQUAL_FATAL(add(&af, "port, pid,tag", err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	fs = agent_fields_of(&af, &alltypes__event__type);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	CU_ASSERT_STRING_EQUAL(emf_fields__text_header(fs), "PID");
	fs = agent_fields_of(&af, &alltypes__packed_event__type);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fs);
	CU_ASSERT_STRING_EQUAL(emf_fields__text_header(fs), "PORT  TAG");
	/* None of them: the whole event, as compiled. */
	CU_ASSERT_PTR_NULL(agent_fields_of(&af, &alltypes__sem_event__type));
	agent_fields_free(&af);
	CU_ASSERT_PTR_NULL(agent_fields_of(&af, &alltypes__event__type));
}

static const char want_nope[] = "emf-agent: --fields: plugin 'alltypes': no event type has a "
				"field 'nope' ('event' has i8, u8, ";

static void test_refusals(void)
{
	struct agent_fields af = {};
	char err[1024];

	CU_ASSERT_EQUAL(add(&af, "pid,nope", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(strncmp(err, want_nope, strlen(want_nope)), 0);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(err, "; 'packed_event' has tag, value, port; 'sem_event' has when, "));
	CU_ASSERT_EQUAL(strchr(err, '\n') - err + 1, (long)strlen(err));
	agent_fields_free(&af);
	CU_ASSERT_EQUAL(add(&af, "pid,,tag", err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(
		err,
		"emf-agent: --fields: plugin 'alltypes': fields 'pid,,tag': an empty field name\n");
	agent_fields_free(&af);
	CU_ASSERT_EQUAL(add(&af, "pid,pid", err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(
		err,
		"emf-agent: --fields: plugin 'alltypes': fields 'pid,pid': 'pid' is given twice\n");
	agent_fields_free(&af);
}

int main(void)
{
	CU_pSuite s;
	int failed;

	emf_set_print(NULL);
	rt = emf_runtime__new(NULL);
	p = rt ? emf_runtime__add(rt, &alltypes__plugin) : NULL;
	if (!p)
		return 1;
	if (CU_initialize_registry() != CUE_SUCCESS)
		return CU_get_error();
	s = CU_add_suite("agent --fields", NULL, NULL);
	CU_add_test(s, "each type shows what it has of the list", test_each_type_what_it_has);
	CU_add_test(s, "unknown, empty and repeated fields", test_refusals);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	emf_runtime__destroy(rt);
	return failed ? 1 : 0;
}
