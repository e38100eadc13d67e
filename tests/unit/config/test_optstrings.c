// SPDX-License-Identifier: Apache-2.0
/*
 * The option-string grammars (reference 3), Go number parsing, and the small
 * flag values: --timesync, --ignition, --cloud-init, --restful-uri.
 */
#include "cfg_test.h"

#define BL "-b", "linux"

static void test_go_parse_uint(void **state)
{
	static const struct {
		const char *s;
		int base, bits;
		enum num_error e;
		uint64_t v;
	} cases[] = {
		{"0", 0, 64, NUM_OK, 0},
		{"10", 0, 64, NUM_OK, 10},
		{"010", 0, 64, NUM_OK, 8},
		{"0x1F", 0, 64, NUM_OK, 31},
		{"0b101", 0, 64, NUM_OK, 5},
		{"0o17", 0, 64, NUM_OK, 15},
		{"1_000", 0, 64, NUM_OK, 1000},
		{"0x_1", 0, 64, NUM_OK, 1},
		{"_1", 0, 64, NUM_SYNTAX, 0},
		{"1_", 0, 64, NUM_SYNTAX, 0},
		{"0x", 0, 64, NUM_SYNTAX, 0},
		{"", 0, 64, NUM_SYNTAX, 0},
		{"+1", 0, 64, NUM_SYNTAX, 0},
		{"18446744073709551615", 0, 64, NUM_OK, UINT64_MAX},
		{"18446744073709551616", 0, 64, NUM_RANGE, UINT64_MAX},
		{"4294967295", 10, 32, NUM_OK, 4294967295u},
		{"4294967296", 10, 32, NUM_RANGE, 4294967295u},
		{"0x10", 10, 32, NUM_SYNTAX, 0},
		{"1_0", 10, 32, NUM_SYNTAX, 0},
	};
	size_t i;
	uint64_t v;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(go_parse_uint(cases[i].s, cases[i].base, cases[i].bits, &v),
				 cases[i].e);
		if (cases[i].e == NUM_OK)
			assert_int_equal(v, cases[i].v);
	}
}

static void test_go_parse_int(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(go_parse_int("-5", 10, 32, &v), NUM_OK);
	assert_int_equal(v, -5);
	assert_int_equal(go_parse_int("+7", 10, 32, &v), NUM_OK);
	assert_int_equal(v, 7);
	assert_int_equal(go_parse_int("2147483647", 10, 32, &v), NUM_OK);
	assert_int_equal(go_parse_int("2147483648", 10, 32, &v), NUM_RANGE);
	assert_int_equal(go_parse_int("-2147483648", 10, 32, &v), NUM_OK);
	assert_int_equal(v, INT32_MIN);
	assert_int_equal(go_parse_int("-2147483649", 10, 32, &v), NUM_RANGE);
	assert_int_equal(go_parse_int("-", 10, 32, &v), NUM_SYNTAX);
	assert_int_equal(go_parse_int("-9223372036854775808", 10, 64, &v), NUM_OK);
	assert_true(v == INT64_MIN);
	assert_int_equal(go_parse_int("1.5", 10, 64, &v), NUM_SYNTAX);
}

/* Joins a split list with '|' for compact comparisons. */
static void joined(const struct strvec *sv, char *buf, size_t len)
{
	size_t i, pos = 0;

	buf[0] = '\0';
	for (i = 0; i < sv->n; i++)
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", i ? "|" : "", sv->v[i]);
}

static void test_quoted_list(void **state)
{
	static const struct {
		const char *in, *out; /* out NULL: mismatched quote */
		size_t n;
	} cases[] = {
		{"linux,kernel=/k", "linux|kernel=/k", 2},
		{"", "", 0},
		{"\"\"", "", 0},
		{"a,", "a|", 2},
		{",", "|", 2},
		{"cmdline=\"a,b\"", "cmdline=\"a,b\"", 1},
		{"kernel=\"/a,b\",x", "kernel=\"/a,b\"|x", 2},
		{"\"cmdline=a,b\"", "cmdline=a,b", 1},
		{"\"\"x\"\"", "x", 1},
		{"a\"b,c\"d,e", "a\"b,c\"d|e", 2},
		{"\"", NULL, 0},
		{"a,\"b", NULL, 0},
	};
	struct strvec sv = {0};
	char buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = optlist_split_quoted(cases[i].in, &sv);

		if (!cases[i].out) {
			assert_int_not_equal(rc, 0);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(sv.n, cases[i].n);
			joined(&sv, buf, sizeof(buf));
			assert_string_equal(buf, cases[i].out);
		}
		strvec_free(&sv);
	}
}

static void test_comma_split_and_kv(void **state)
{
	struct strvec sv = {0};
	char buf[256], item[] = "a=b=c", bare[] = "nat";
	char *k, *v;

	(void)state;
	assert_int_equal(optlist_split_commas("virtio-fs,sharedDir=\"/a,b\"", &sv), 0);
	joined(&sv, buf, sizeof(buf));
	/* no quoting in --device strings (reference 3.1) */
	assert_string_equal(buf, "virtio-fs|sharedDir=\"/a|b\"");
	strvec_free(&sv);
	assert_int_equal(optlist_split_commas("", &sv), 0);
	assert_int_equal(sv.n, 1);
	strvec_free(&sv);
	optlist_kv(item, &k, &v);
	assert_string_equal(k, "a");
	assert_string_equal(v, "b=c");
	optlist_kv(bare, &k, &v);
	assert_string_equal(k, "nat");
	assert_string_equal(v, "");
}

static const struct argv_case timesync_cases[] = {
	{{BL, "--timesync", "vsockPort=1234"}},
	{{BL, "-t", ",vsockPort=1,,vsockPort=2,"}},
	{{BL, "--timesync", ""}},
	{{BL, "--timesync", "vsockPort=0"},
	 "--timesync: missing 'vsockPort' option for timesync parameter"},
	{{BL, "--timesync", ","}, "--timesync: missing 'vsockPort' option for timesync parameter"},
	{{BL, "--timesync", "port=1"}, "--timesync: unknown option for timesync parameter: port"},
	{{BL, "--timesync", "vsockPort=abc"},
	 "--timesync: strconv.ParseUint: parsing \"abc\": invalid syntax"},
	{{BL, "--timesync", "vsockPort=4294967296"},
	 "--timesync: strconv.ParseUint: parsing \"4294967296\": value out of range"},
	{{BL, "--timesync", "vsockPort="},
	 "--timesync: strconv.ParseUint: parsing \"\": invalid syntax"},
};

static const struct argv_case ignition_cases[] = {
	{{BL, "--ignition", "ign.json"}},
	{{BL, "--ignition", ""}},
	{{BL, "--ignition", "a,b"},
	 "--ignition: failed to add ignition file: ignition only accepts one option in command "
	 "line argument"},
	{{BL, "--ignition", "a,"},
	 "--ignition: failed to add ignition file: ignition only accepts one option in command "
	 "line argument"},
};

static const struct argv_case cloud_init_cases[] = {
	{{BL, "--cloud-init", "user-data,meta-data"}},
	{{BL, "--cloud-init", "user-data"}},
	{{BL, "--cloud-init", "meta-data", "--cloud-init", "network-config"}},
	{{BL, "--cloud-init", ""}},
	{{BL, "--cloud-init", "\"user-data\",meta-data,"}},
	{{BL, "--cloud-init", "network-config"},
	 "--cloud-init: cloud-init needs user-data and meta-data files to work"},
	{{BL, "--cloud-init", "other-file"},
	 "--cloud-init: cloud-init needs user-data and meta-data files to work"},
	{{BL, "--cloud-init", ","},
	 "--cloud-init: cloud-init needs user-data and meta-data files to work"},
	{{BL, "--cloud-init", "user-data,missing/meta-data"},
	 "--cloud-init: open missing/meta-data: no such file or directory"},
};

static const struct argv_case rest_cases[] = {
	{{BL, "--restful-uri", "tcp://localhost:8081"}},
	{{BL, "--restful-uri", "http://127.0.0.1:9000"}},
	{{BL, "--restful-uri", "TCP://:8081"}},
	{{BL, "--restful-uri", "tcp://[::1]:8081"}},
	{{BL, "--restful-uri", "tcp://h:1?x=y"}},
	{{BL, "--restful-uri", "unix:///tmp/vf.sock"}},
	{{BL, "--restful-uri", "unix:/tmp/vf.sock"}},
	{{BL, "--restful-uri", "none://"}},
	{{BL, "--restful-uri", "none:///"}},
	{{BL, "--restful-uri", ""}, "--restful-uri: parse \"\": empty url"},
	{{BL, "--restful-uri", "localhost"},
	 "--restful-uri: parse \"localhost\": invalid URI for request"},
	{{BL, "--restful-uri", "/tmp/sock"},
	 "--restful-uri: parse \"/tmp/sock\": invalid URI for request"},
	{{BL, "--restful-uri", "https://h:1"}, "--restful-uri: invalid scheme https"},
	{{BL, "--restful-uri", "localhost:8081"}, "--restful-uri: invalid scheme localhost"},
	{{BL, "--restful-uri", "tcp:///x"}, "--restful-uri: invalid TCP uri: missing host"},
	{{BL, "--restful-uri", "tcp://h:1/"}, "--restful-uri: invalid TCP uri: path is forbidden"},
	{{BL, "--restful-uri", "tcp://h"}, "--restful-uri: invalid TCP uri: missing port"},
	{{BL, "--restful-uri", "tcp://h:"}, "--restful-uri: invalid TCP uri: missing port"},
	{{BL, "--restful-uri", "tcp://h:abc"},
	 "--restful-uri: parse \"tcp://h:abc\": invalid port \":abc\" after host"},
	{{BL, "--restful-uri", "tcp://h:65536"},
	 "--restful-uri: invalid TCP uri: port 65536 out of range (0-65535)"},
	{{BL, "--restful-uri", "unix://host"}, "--restful-uri: invalid unix uri: missing path"},
	{{BL, "--restful-uri", "unix:rel"}, "--restful-uri: invalid unix uri: missing path"},
	{{BL, "--restful-uri", "unix://host/p"},
	 "--restful-uri: invalid unix uri: host is forbidden"},
	{{BL, "--restful-uri",
	  "unix:///tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
	 "--restful-uri: invalid unix uri: socket path length exceeds Linux limits (110 > 107 "
	 "bytes)"},
};

static void test_timesync(void **state)
{
	struct vm_config cfg;

	(void)state;
	RUN_CASES(timesync_cases, false);
	PARSE_OK(&cfg, BL, "-t", ",vsockPort=1,,vsockPort=2,");
	assert_int_equal(cfg.timesync_port, 2);
	config_free(&cfg);
}

static void test_ignition(void **state)
{
	struct vm_config cfg;

	(void)state;
	RUN_CASES(ignition_cases, false);
	PARSE_OK(&cfg, BL, "--ignition", "ign.json");
	assert_string_equal(cfg.ignition, "ign.json");
	config_free(&cfg);
}

static void test_cloud_init(void **state)
{
	struct vm_config cfg;

	(void)state;
	RUN_CASES(cloud_init_cases, false);
	/* recognised by basename, in a fixed order, others dropped; last one wins */
	PARSE_OK(&cfg, BL, "--cloud-init", "network-config,other-file,./meta-data", "--cloud-init",
		 "user-data,meta-data");
	assert_non_null(cfg.cloud_init_files);
	assert_string_equal(cfg.cloud_init_files[0], "user-data");
	assert_string_equal(cfg.cloud_init_files[1], "meta-data");
	assert_string_equal(cfg.cloud_init_files[2], "network-config");
	assert_null(cfg.cloud_init_files[3]);
	config_free(&cfg);
}

static void test_restful_uri(void **state)
{
	struct vm_config cfg;

	(void)state;
	RUN_CASES(rest_cases, false);
	PARSE_OK(&cfg, BL, "--restful-uri", "unix:///tmp/a%20b.sock");
	assert_int_equal(cfg.rest.scheme, REST_UNIX);
	assert_string_equal(cfg.rest.path, "/tmp/a b.sock");
	config_free(&cfg);
	PARSE_OK(&cfg, BL, "--restful-uri", "tcp://[::1]:8081");
	assert_int_equal(cfg.rest.scheme, REST_TCP);
	assert_string_equal(cfg.rest.host, "::1");
	assert_int_equal(cfg.rest.port, 8081);
	config_free(&cfg);
	PARSE_OK(&cfg, BL, "--restful-uri", "tcp://:9");
	assert_string_equal(cfg.rest.host, "");
	assert_int_equal(cfg.rest.port, 9);
	config_free(&cfg);
	PARSE_OK(&cfg, BL, "--restful-uri", "none:///");
	assert_int_equal(cfg.rest.scheme, REST_NONE);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_go_parse_uint), cmocka_unit_test(test_go_parse_int),
		cmocka_unit_test(test_quoted_list),   cmocka_unit_test(test_comma_split_and_kv),
		cmocka_unit_test(test_timesync),      cmocka_unit_test(test_ignition),
		cmocka_unit_test(test_cloud_init),    cmocka_unit_test(test_restful_uri),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
