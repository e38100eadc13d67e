// SPDX-License-Identifier: Apache-2.0
/*
 * A guest that enables more MSI-X vectors than KVM's routing table holds gets
 * them injected without a route, on every interrupt. The failure to allocate
 * a route is logged once, not once per interrupt: the guest must not be able
 * to flood the host's log at its interrupt rate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/irq.h"
#include "vmm/kvm_internal.h"
#include "vmm/vm.h"

static unsigned int count_lines_with(const char *text, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_no_free_route_is_logged_once(void **state)
{
	static struct kvm_state ks; /* msi_limit 0: the table is full from the start */
	static struct vm vm;
	FILE *cap = tmpfile();
	int saved = dup(2);
	char log[4096];
	size_t n;

	(void)state;
	pthread_mutex_init(&ks.irq_lock, NULL);
	vm.vm_fd = -1;
	vm.kvm_state = &ks;
	log_set_level(LOG_LEVEL_INFO);
	assert_non_null(cap);
	dup2(fileno(cap), 2);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(irq_msi_alloc(&vm, 0xfee00000, (uint32_t)i), -ENOSPC);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(cap);
	n = fread(log, 1, sizeof(log) - 1, cap);
	log[n] = 0;
	fclose(cap);
	assert_int_equal(count_lines_with(log, "no free MSI route"), 1);
	assert_int_equal(count_lines_with(log, "\n"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_free_route_is_logged_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
