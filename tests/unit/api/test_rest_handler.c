// SPDX-License-Identifier: Apache-2.0
/* rest_handle(): every route, every error case, the exact bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/rest_handler.h"

struct fake {
	struct vm_state_info info;
	int calls;
	enum vm_request last;
	int fail; /* request_state fails */
	const char *inspect;
};

static void fake_get_state(void *opaque, struct vm_state_info *info)
{
	*info = ((struct fake *)opaque)->info;
}

static int fake_request(void *opaque, enum vm_request req, char *err, size_t errlen)
{
	struct fake *f = opaque;

	f->calls++;
	f->last = req;
	if (f->fail) {
		snprintf(err, errlen, "cannot pause the VM: it is VirtualMachineStatePaused");
		return -1;
	}
	return 0;
}

static char *fake_inspect(void *opaque)
{
	struct fake *f = opaque;

	return f->inspect ? strdup(f->inspect) : NULL;
}

static struct fake fk;
static struct rest_backend be = {fake_get_state, fake_request, fake_inspect, &fk};
static struct rest_response resp;

static int setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	fk.info = (struct vm_state_info){.state = VM_STATE_RUNNING,
					 .can_pause = true,
					 .can_stop = true,
					 .can_hard_stop = true};
	fk.inspect = "{\"vcpus\":1}";
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rest_response_free(&resp);
	return 0;
}

static void post(const char *body)
{
	rest_response_free(&resp);
	rest_handle(&be, "POST", "/vm/state", body, body ? strlen(body) : 0, false, &resp);
}

static void expect(unsigned int status, const char *body)
{
	assert_int_equal(resp.status, status);
	if (body) {
		assert_non_null(resp.body);
		assert_string_equal(resp.body, body);
		assert_string_equal(resp.content_type, REST_JSON_TYPE);
	} else {
		assert_null(resp.body);
	}
}

static void test_get_state_sorted_keys(void **state)
{
	(void)state;
	rest_handle(&be, "GET", "/vm/state", NULL, 0, false, &resp);
	expect(200,
	       "{\"canHardStop\":true,\"canPause\":true,\"canResume\":false,"
	       "\"canStart\":false,\"canStop\":true,\"state\":\"VirtualMachineStateRunning\"}");
	rest_response_free(&resp);
	fk.info = (struct vm_state_info){
		.state = VM_STATE_PAUSED, .can_resume = true, .can_hard_stop = true};
	rest_handle(&be, "GET", "/vm/state", NULL, 0, false, &resp);
	expect(200,
	       "{\"canHardStop\":true,\"canPause\":false,\"canResume\":true,"
	       "\"canStart\":false,\"canStop\":false,\"state\":\"VirtualMachineStatePaused\"}");
	assert_int_equal(fk.calls, 0);
}

static void test_post_each_change(void **state)
{
	static const struct {
		const char *body;
		enum vm_request req;
	} cases[] = {
		{"{\"state\":\"Pause\"}", VM_REQ_PAUSE},
		{"{\"state\":\"Resume\"}", VM_REQ_RESUME},
		{"{\"state\":\"Stop\"}", VM_REQ_STOP},
		{"{\"state\":\"HardStop\"}", VM_REQ_HARD_STOP},
		/* key case-insensitive, unknown keys and trailing data ignored */
		{" {\"State\" : \"Pause\", \"x\": [1,{}]} trailing", VM_REQ_PAUSE},
		{"{\"STATE\":\"Resume\"}\n{", VM_REQ_RESUME},
		/* the last match wins, null leaves the earlier value */
		{"{\"state\":\"Stop\",\"sTaTe\":\"HardStop\"}", VM_REQ_HARD_STOP},
		{"{\"state\":\"Stop\",\"state2\":\"HardStop\",\"State\":null}", VM_REQ_STOP},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		post(cases[i].body);
		expect(200, NULL);
		assert_null(resp.content_type);
		assert_int_equal(fk.calls, (int)i + 1);
		assert_int_equal(fk.last, cases[i].req);
	}
}

static void test_post_refused(void **state)
{
	(void)state;
	fk.fail = 1;
	post("{\"state\":\"Pause\"}");
	expect(500, "{\"error\":\"cannot pause the VM: it is VirtualMachineStatePaused\"}");
}

static void test_post_bad_bodies(void **state)
{
	(void)state;
	post("");
	expect(400, "{\"error\":\"EOF\"}");
	post(NULL);
	expect(400, "{\"error\":\"EOF\"}");
	post(" \r\n\t");
	expect(400, "{\"error\":\"EOF\"}");
	post("{\"state\":");
	assert_int_equal(resp.status, 400);
	assert_non_null(strstr(resp.body, "{\"error\":\""));
	post("[\"Pause\"]");
	expect(400, "{\"error\":\"json: cannot unmarshal array into a state change object\"}");
	post("\"Pause\"");
	expect(400, "{\"error\":\"json: cannot unmarshal string into a state change object\"}");
	post("{\"state\":1}");
	expect(400,
	       "{\"error\":\"json: cannot unmarshal number into field state of type string\"}");
	post("{\"State\":{}}");
	expect(400,
	       "{\"error\":\"json: cannot unmarshal object into field State of type string\"}");
	post("\xff\xfe");
	assert_int_equal(resp.status, 400);
	assert_non_null(resp.body);
	assert_int_equal(fk.calls, 0);
}

static void test_post_invalid_state_is_500(void **state)
{
	(void)state;
	post("null");
	expect(500, "{\"error\":\"invalid new VMState: \"}");
	post("{}");
	expect(500, "{\"error\":\"invalid new VMState: \"}");
	post("{\"state\":null}");
	expect(500, "{\"error\":\"invalid new VMState: \"}");
	post("{\"state\":\"pause\"}");
	expect(500, "{\"error\":\"invalid new VMState: pause\"}");
	post("{\"state\":\"Start\"}");
	expect(500, "{\"error\":\"invalid new VMState: Start\"}");
	post("{\"state\":\"Pause \"}");
	expect(500, "{\"error\":\"invalid new VMState: Pause \"}");
	post("{\"state\":\"\\\"<&>\\u00e9\"}");
	expect(500, "{\"error\":\"invalid new VMState: \\\"<&>\xc3\xa9\"}");
	assert_int_equal(fk.calls, 0);
}

static void test_inspect(void **state)
{
	(void)state;
	rest_handle(&be, "GET", "/vm/inspect", NULL, 0, false, &resp);
	expect(200, "{\"vcpus\":1}");
	rest_response_free(&resp);
	fk.inspect = NULL;
	rest_handle(&be, "GET", "/vm/inspect", NULL, 0, false, &resp);
	expect(500, "{\"error\":\"cannot describe the VM configuration\"}");
}

static void test_not_found(void **state)
{
	static const char *const cases[][2] = {
		{"HEAD", "/vm/state"},
		{"PUT", "/vm/state"},
		{"DELETE", "/vm/state"},
		{"POST", "/vm/inspect"},
		{"GET", "/"},
		{"GET", "/vm"},
		{"GET", "/vm/State"},
		{"GET", "//vm/state"},
		{"GET", "/vm/state//"},
		{"get", "/vm/state"},
		{"POST", "/vm/inspect/"},
		{"PUT", "/vm/state/"},
		{"GET", ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rest_response_free(&resp);
		rest_handle(&be, cases[i][0], cases[i][1], "{\"state\":\"Pause\"}", 17, false,
			    &resp);
		expect(404, "{\"error\":\"404 page not found\"}");
	}
	assert_int_equal(fk.calls, 0);
}

static void test_trailing_slash_redirects(void **state)
{
	(void)state;
	rest_handle(&be, "GET", "/vm/state/", NULL, 0, false, &resp);
	assert_int_equal(resp.status, 301);
	assert_string_equal(resp.location, "/vm/state");
	rest_response_free(&resp);
	rest_handle(&be, "POST", "/vm/state/", "{\"state\":\"Pause\"}", 17, false, &resp);
	assert_int_equal(resp.status, 307);
	assert_string_equal(resp.location, "/vm/state");
	rest_response_free(&resp);
	rest_handle(&be, "GET", "/vm/inspect/", NULL, 0, false, &resp);
	assert_int_equal(resp.status, 301);
	assert_string_equal(resp.location, "/vm/inspect");
	assert_int_equal(fk.calls, 0);
}

static void test_too_large(void **state)
{
	(void)state;
	rest_handle(&be, "POST", "/vm/state", "{\"state\":\"Pause\"}", 17, true, &resp);
	expect(413, "{\"error\":\"request body larger than 4096 bytes\"}");
	assert_int_equal(fk.calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_state_sorted_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_post_each_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_post_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_post_bad_bodies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_post_invalid_state_is_500, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inspect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trailing_slash_redirects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_large, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
