// SPDX-License-Identifier: Apache-2.0
/*
 * The VM state machine (vmm/vm.c) and lifecycle (vmm/lifecycle.c) with fake
 * vCPUs and power button: every allowed and refused transition, the can*
 * flags in each state, events from other threads, signals and the pidfile.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch/x86/platform.h"
#include "vmm/kvm.h"
#include "vmm/lifecycle.h"
#include "vmm/vm.h"

/* --- fakes for the vCPU layer and the platform --- */

static struct {
	_Atomic int pause, resume, stop, press; /* bumped on the loop and test threads */
	bool parked;
	bool stop_off_loop; /* a vCPU call ran off the loop thread */
	pthread_t loop_thread;
	void (*on_pause)(struct vm *vm);  /* runs inside kvm_vcpus_pause */
	void (*on_press)(struct vm *vm);  /* runs inside the power button */
	struct vm_state_info during_stop; /* what clients saw while vCPUs stopped */
	int refused_during_stop;
} fake;

static void check_loop_thread(void)
{
	if (!pthread_equal(pthread_self(), fake.loop_thread))
		fake.stop_off_loop = true;
}

void kvm_vcpus_pause(struct vm *vm)
{
	check_loop_thread();
	fake.pause++;
	fake.parked = true;
	if (fake.on_pause)
		fake.on_pause(vm);
}

void kvm_vcpus_resume(struct vm *vm)
{
	(void)vm;
	check_loop_thread();
	fake.resume++;
	fake.parked = false;
}

void kvm_vcpus_stop(struct vm *vm)
{
	char err[128];

	check_loop_thread();
	fake.stop++;
	vm_get_state(vm, &fake.during_stop);
	if (vm_request_state(vm, VM_REQ_PAUSE, err, sizeof(err)) < 0)
		fake.refused_during_stop++;
}

void platform_press_power_button(struct vm *vm)
{
	void (*on_press)(struct vm *) = __atomic_load_n(&fake.on_press, __ATOMIC_SEQ_CST);

	fake.press++;
	if (on_press)
		on_press(vm);
}

/* --- a VM with its loop on its own thread, the test thread plays REST --- */

static struct vm vm;
static pthread_t loop_thr;
static bool with_lifecycle;
static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;
static bool ready;

static void *loop_main(void *arg)
{
	(void)arg;
	fake.loop_thread = pthread_self();
	if (with_lifecycle) {
		lifecycle_init(&vm);
		assert_int_equal(lifecycle_start(&vm), 0);
	} else {
		vm_state_init(&vm);
	}
	pthread_mutex_lock(&ready_lock);
	ready = true;
	pthread_cond_broadcast(&ready_cond);
	pthread_mutex_unlock(&ready_lock);
	loop_run(vm.loop);
	return NULL;
}

static int setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	memset(&vm, 0, sizeof(vm));
	vm.loop = loop_new();
	assert_non_null(vm.loop);
	ready = false;
	assert_int_equal(pthread_create(&loop_thr, NULL, loop_main, NULL), 0);
	pthread_mutex_lock(&ready_lock);
	while (!ready)
		pthread_cond_wait(&ready_cond, &ready_lock);
	pthread_mutex_unlock(&ready_lock);
	return 0;
}

static void end_vm(void)
{
	pthread_join(loop_thr, NULL);
	vm_finish(&vm);
	vm_run_exit_handlers(&vm);
	loop_free(vm.loop);
	vm.loop = NULL;
}

static int teardown(void **state)
{
	(void)state;
	if (vm.loop) {
		loop_quit(vm.loop);
		end_vm();
	}
	return 0;
}

static void expect_flags(enum vm_state s, bool start, bool pause, bool resume, bool stop, bool hard)
{
	struct vm_state_info i;

	vm_get_state(&vm, &i);
	assert_string_equal(vm_state_name(i.state), vm_state_name(s));
	assert_int_equal(i.can_start, start);
	assert_int_equal(i.can_pause, pause);
	assert_int_equal(i.can_resume, resume);
	assert_int_equal(i.can_stop, stop);
	assert_int_equal(i.can_hard_stop, hard);
}

static void expect_refused(enum vm_request req, const char *words)
{
	struct vm_state_info before, after;
	char err[256] = "";
	int calls = fake.pause + fake.resume + fake.stop + fake.press;

	vm_get_state(&vm, &before);
	assert_int_equal(vm_request_state(&vm, req, err, sizeof(err)), -1);
	assert_non_null(strstr(err, words));
	vm_get_state(&vm, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(fake.pause + fake.resume + fake.stop + fake.press, calls);
}

static void expect_ok(enum vm_request req)
{
	char err[256] = "";

	assert_int_equal(vm_request_state(&vm, req, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static void start_running(void)
{
	vm_set_starting(&vm);
	expect_flags(VM_STATE_STARTING, false, false, false, false, false);
	assert_true(vm_set_running(&vm));
	expect_flags(VM_STATE_RUNNING, false, true, false, true, true);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(vm_state_name(VM_STATE_STOPPED), "VirtualMachineStateStopped");
	assert_string_equal(vm_state_name(VM_STATE_STARTING), "VirtualMachineStateStarting");
	assert_string_equal(vm_state_name(VM_STATE_RUNNING), "VirtualMachineStateRunning");
	assert_string_equal(vm_state_name(VM_STATE_PAUSING), "VirtualMachineStatePausing");
	assert_string_equal(vm_state_name(VM_STATE_PAUSED), "VirtualMachineStatePaused");
	assert_string_equal(vm_state_name(VM_STATE_RESUMING), "VirtualMachineStateResuming");
	assert_string_equal(vm_state_name(VM_STATE_STOPPING), "VirtualMachineStateStopping");
	assert_string_equal(vm_state_name(VM_STATE_ERROR), "VirtualMachineStateError");
	assert_string_equal(vm_state_name((enum vm_state)99), "VirtualMachineStateError");
}

static void test_before_start_everything_refused(void **state)
{
	(void)state;
	expect_flags(VM_STATE_STOPPED, true, false, false, false, false);
	for (int r = VM_REQ_PAUSE; r <= VM_REQ_HARD_STOP; r++)
		expect_refused(r, "VirtualMachineStateStopped");
	vm_set_starting(&vm);
	for (int r = VM_REQ_PAUSE; r <= VM_REQ_HARD_STOP; r++)
		expect_refused(r, "VirtualMachineStateStarting");
	expect_refused((enum vm_request)42, "invalid");
}

static void test_pause_resume(void **state)
{
	(void)state;
	start_running();
	expect_refused(VM_REQ_RESUME, "cannot resume the VM: it is VirtualMachineStateRunning");

	expect_ok(VM_REQ_PAUSE);
	assert_int_equal(fake.pause, 1);
	assert_true(fake.parked);
	expect_flags(VM_STATE_PAUSED, false, false, true, false, true);
	expect_refused(VM_REQ_PAUSE, "cannot pause the VM: it is VirtualMachineStatePaused");
	expect_refused(VM_REQ_STOP, "cannot stop the VM: it is VirtualMachineStatePaused");

	expect_ok(VM_REQ_RESUME);
	assert_int_equal(fake.resume, 1);
	assert_false(fake.parked);
	expect_flags(VM_STATE_RUNNING, false, true, false, true, true);
	assert_false(fake.stop_off_loop);
	assert_int_equal(fake.stop, 0);
}

static void test_stop_presses_button_then_guest_powers_off(void **state)
{
	(void)state;
	start_running();
	expect_ok(VM_REQ_STOP);
	assert_int_equal(fake.press, 1);
	/* The guest decides: nothing changed yet, pressing again is allowed. */
	expect_flags(VM_STATE_RUNNING, false, true, false, true, true);
	assert_int_equal(fake.stop, 0);

	vm_guest_poweroff(&vm); /* as a vCPU thread would, S5 */
	end_vm();
	expect_flags(VM_STATE_STOPPED, true, false, false, false, false);
	assert_int_equal(vm.exit_status, 0);
	assert_int_equal(fake.stop, 1);
	assert_false(fake.stop_off_loop);
	/* While vCPUs were being stopped: Stopping, nothing allowed, requests refused. */
	assert_int_equal(fake.during_stop.state, VM_STATE_STOPPING);
	assert_false(fake.during_stop.can_hard_stop || fake.during_stop.can_pause ||
		     fake.during_stop.can_stop || fake.during_stop.can_resume);
	assert_int_equal(fake.refused_during_stop, 1);
	expect_refused(VM_REQ_HARD_STOP, "VirtualMachineStateStopped");
}

static void test_hard_stop_running_completes_before_return(void **state)
{
	(void)state;
	start_running();
	expect_ok(VM_REQ_HARD_STOP);
	expect_flags(VM_STATE_STOPPED, true, false, false, false, false);
	assert_int_equal(fake.stop, 1);
	assert_int_equal(fake.press, 0);
	end_vm();
	assert_int_equal(vm.exit_status, 0);
	assert_int_equal(fake.stop, 1); /* vm_finish() is idempotent */
}

static void test_hard_stop_paused(void **state)
{
	(void)state;
	start_running();
	expect_ok(VM_REQ_PAUSE);
	expect_ok(VM_REQ_HARD_STOP);
	expect_flags(VM_STATE_STOPPED, true, false, false, false, false);
	end_vm();
	assert_int_equal(vm.exit_status, 0);
}

static void test_guest_reset_stops(void **state)
{
	(void)state;
	start_running();
	vm_guest_reset(&vm);
	end_vm();
	expect_flags(VM_STATE_STOPPED, true, false, false, false, false);
	assert_int_equal(vm.exit_status, 0);
}

static void *fatal_thread(void *arg)
{
	(void)arg;
	vm_fatal(&vm, "vcpu%d: KVM_RUN: %s", 0, "Bad address");
	return NULL;
}

static void test_fatal_from_vcpu_thread(void **state)
{
	pthread_t t;

	(void)state;
	start_running();
	pthread_create(&t, NULL, fatal_thread, NULL);
	pthread_join(t, NULL);
	end_vm();
	expect_flags(VM_STATE_ERROR, true, false, false, false, false);
	assert_int_equal(vm.exit_status, 1);
	assert_int_equal(fake.stop, 1);
	/* A later power-off does not turn the error into a clean exit. */
	vm_guest_poweroff(&vm);
	vm_finish(&vm);
	assert_int_equal(vm.exit_status, 1);
}

static void test_poweroff_before_running(void **state)
{
	(void)state;
	vm_set_starting(&vm);
	vm_guest_poweroff(&vm);
	assert_false(vm_set_running(&vm));
	end_vm();
	expect_flags(VM_STATE_STOPPED, true, false, false, false, false);
	assert_int_equal(vm.exit_status, 0);
}

/* A vCPU raising power-off while the loop thread waits for it to park. */
static void poweroff_inside_pause(struct vm *v)
{
	vm_guest_poweroff(v);
}

static void test_poweroff_during_pause_no_deadlock(void **state)
{
	char err[128];

	(void)state;
	start_running();
	fake.on_pause = poweroff_inside_pause;
	/* Either the pause completed first or the power-off overtook it. */
	vm_request_state(&vm, VM_REQ_PAUSE, err, sizeof(err));
	end_vm();
	expect_flags(VM_STATE_STOPPED, true, false, false, false, false);
	assert_int_equal(vm.exit_status, 0);
}

static void poweroff_on_press(struct vm *v)
{
	vm_guest_poweroff(v);
}

static void test_stop_with_immediate_poweroff(void **state)
{
	(void)state;
	start_running();
	__atomic_store_n(&fake.on_press, poweroff_on_press, __ATOMIC_SEQ_CST);
	expect_ok(VM_REQ_STOP);
	end_vm();
	expect_flags(VM_STATE_STOPPED, true, false, false, false, false);
	assert_int_equal(fake.stop, 1);
}

static void *pause_resume_worker(void *arg)
{
	char err[256];
	int *ok = arg;

	for (int i = 0; i < 200; i++) {
		if (vm_request_state(&vm, i & 1 ? VM_REQ_RESUME : VM_REQ_PAUSE, err, sizeof(err)) ==
		    0)
			(*ok)++;
	}
	return NULL;
}

static void test_concurrent_requests(void **state)
{
	pthread_t t[8];
	int ok[8] = {0}, total = 0;

	(void)state;
	start_running();
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, pause_resume_worker, &ok[i]);
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		total += ok[i];
	}
	/* Every accepted request did exactly one vCPU operation. */
	assert_int_equal(total, fake.pause + fake.resume);
	assert_true(fake.pause - fake.resume == 0 || fake.pause - fake.resume == 1);
	assert_int_equal(fake.parked, fake.pause > fake.resume);
	assert_false(fake.stop_off_loop);
	expect_ok(VM_REQ_HARD_STOP);
	end_vm();
	assert_int_equal(vm.exit_status, 0);
}

/* run.c's build failed: nothing started, its exit status stands. */
static void test_finish_without_start_keeps_status(void **state)
{
	(void)state;
	vm.exit_status = 1;
	vm_finish(&vm);
	end_vm();
	assert_int_equal(vm.exit_status, 1);
	assert_int_equal(fake.stop, 0);
	expect_flags(VM_STATE_STOPPED, true, false, false, false, false);
}

static int order[4], norder;

static void record_exit(void *opaque)
{
	order[norder++] = (int)(intptr_t)opaque;
}

static void test_exit_handlers_reverse_once(void **state)
{
	(void)state;
	norder = 0;
	for (int i = 1; i <= 3; i++)
		assert_int_equal(vm_at_exit(&vm, record_exit, (void *)(intptr_t)i), 0);
	vm_run_exit_handlers(&vm);
	vm_run_exit_handlers(&vm);
	assert_int_equal(norder, 3);
	assert_int_equal(order[0], 3);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 1);
}

/* --- lifecycle: signals and pidfile --- */

static char pidpath[64];

static int setup_lifecycle(void **state)
{
	snprintf(pidpath, sizeof(pidpath), "/tmp/vfkit-test-%d.pid", (int)getpid());
	static struct vm_config cfg;

	cfg.pidfile = pidpath;
	with_lifecycle = true;
	setup(state);
	with_lifecycle = false;
	vm.cfg = &cfg;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_pidfile(void **state)
{
	char buf[32] = "", want[32];
	struct stat st;
	int fd;

	(void)state;
	/* lifecycle_start ran before vm.cfg was set: write it the same way now. */
	assert_int_equal(lifecycle_write_pidfile(pidpath), 0);
	fd = open(pidpath, O_RDONLY);
	assert_true(fd >= 0);
	assert_true(read(fd, buf, sizeof(buf) - 1) > 0);
	close(fd);
	snprintf(want, sizeof(want), "%d", (int)getpid());
	assert_string_equal(buf, want); /* no trailing newline */
	assert_int_equal(stat(pidpath, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(lifecycle_write_pidfile("/nonexistent-dir/x.pid"), -ENOENT);
	unlink(pidpath);
}

static void test_sigterm_guest_cooperates(void **state)
{
	(void)state;
	start_running();
	__atomic_store_n(&fake.on_press, poweroff_on_press, __ATOMIC_SEQ_CST);
	kill(getpid(), SIGTERM);
	end_vm();
	assert_int_equal(fake.press, 1);
	expect_flags(VM_STATE_STOPPED, true, false, false, false, false);
	assert_int_equal(vm.exit_status, 0);
}

/*
 * SIGHUP (terminal or ssh session gone) stops the VM as SIGTERM does. Before
 * the fix it stayed pending, never read, and the VM ran on: give up after 5 s
 * rather than wait in end_vm() for a stop that never comes.
 */
static void test_sighup_stops_like_sigterm(void **state)
{
	(void)state;
	start_running();
	__atomic_store_n(&fake.on_press, poweroff_on_press, __ATOMIC_SEQ_CST);
	kill(getpid(), SIGHUP);
	for (int i = 0; i < 500 && !fake.press; i++)
		usleep(10000);
	assert_int_equal(fake.press, 1);
	end_vm();
	assert_int_equal(fake.press, 1);
	expect_flags(VM_STATE_STOPPED, true, false, false, false, false);
	assert_int_equal(vm.exit_status, 0);
}

static void test_sigint_guest_ignores_button(void **state)
{
	double t0 = now_s(), dt;

	(void)state;
	start_running();
	kill(getpid(), SIGINT);
	end_vm();
	dt = now_s() - t0;
	assert_int_equal(fake.press, 1);
	assert_true(dt >= 4.9 && dt < 8.0); /* 5 s grace, then forced */
	expect_flags(VM_STATE_STOPPED, true, false, false, false, false);
	assert_int_equal(vm.exit_status, 0);
	assert_int_equal(fake.stop, 1);
}

static void test_sigterm_while_paused_forces(void **state)
{
	double t0;

	(void)state;
	start_running();
	expect_ok(VM_REQ_PAUSE);
	t0 = now_s();
	kill(getpid(), SIGTERM);
	end_vm();
	assert_true(now_s() - t0 < 2.0);
	assert_int_equal(fake.press, 0);
	expect_flags(VM_STATE_STOPPED, true, false, false, false, false);
	assert_int_equal(vm.exit_status, 0);
}

static void test_pidfile_removed_by_exit_handler(void **state)
{
	static struct vm_config cfg;
	struct vm v = {.cfg = &cfg};

	(void)state;
	snprintf(pidpath, sizeof(pidpath), "/tmp/vfkit-test-%d-b.pid", (int)getpid());
	cfg.pidfile = pidpath;
	vm_state_init(&v);
	v.loop = loop_new();
	assert_int_equal(lifecycle_start(&v), 0);
	assert_int_equal(access(pidpath, F_OK), 0);
	vm_run_exit_handlers(&v);
	assert_int_equal(access(pidpath, F_OK), -1);

	/* Taken over by another process meanwhile: left alone. */
	assert_int_equal(lifecycle_start(&v), 0);
	{
		FILE *f = fopen(pidpath, "w");

		fputs("1", f);
		fclose(f);
	}
	vm_run_exit_handlers(&v);
	assert_int_equal(access(pidpath, F_OK), 0);
	unlink(pidpath);
	loop_free(v.loop);
}

int main(void)
{
	sigset_t set;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_before_start_everything_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pause_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_presses_button_then_guest_powers_off,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hard_stop_running_completes_before_return,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hard_stop_paused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_reset_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fatal_from_vcpu_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poweroff_before_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poweroff_during_pause_no_deadlock, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stop_with_immediate_poweroff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_handlers_reverse_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_without_start_keeps_status, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pidfile, setup_lifecycle, teardown),
		cmocka_unit_test_setup_teardown(test_sigterm_guest_cooperates, setup_lifecycle,
						teardown),
		cmocka_unit_test_setup_teardown(test_sighup_stops_like_sigterm, setup_lifecycle,
						teardown),
		cmocka_unit_test_setup_teardown(test_sigint_guest_ignores_button, setup_lifecycle,
						teardown),
		cmocka_unit_test_setup_teardown(test_sigterm_while_paused_forces, setup_lifecycle,
						teardown),
		cmocka_unit_test(test_pidfile_removed_by_exit_handler),
	};

	/* Every thread must block them for the signalfd to see them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
