// SPDX-License-Identifier: Apache-2.0
/*
 * The seccomp sandbox (src/vmm/sandbox.c). Each case confines a forked child
 * with one thread kind's filter, makes one system call and reports how the
 * child ended and what it wrote on stderr: a forbidden call must end it with
 * status 159 and a line naming the thread kind and the call; an allowed one
 * must let it exit normally. The child leaves by the exit_group system call:
 * the sanitizers' _exit() interceptor checks for leaks with system calls of its
 * own (LSan's tracer thread), which are not what is under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "backends/terminal.h"
#include "vmm/sandbox.h"

#define ALLOWED_STATUS 42
#define CREATED_PATH   "/tmp/vfkit-sandbox-test-must-not-exist"

struct outcome {
	int status; /* exit status, or -signal */
	char err[512];
};

typedef void (*attempt_fn)(void);

static void leave(int status)
{
	syscall(SYS_exit_group, status);
}

/*
 * Runs fn in a child confined as kind (-1: not confined here); fn's call either
 * traps or returns.
 * The child blocks every signal first, as the REST thread does: the report
 * must come out anyway.
 */
static struct outcome run_child(int kind, attempt_fn fn)
{
	sigset_t all;

	struct outcome out = {0};
	int pipefd[2], wstatus;
	ssize_t n;
	size_t len = 0;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, NULL);
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		if (kind >= 0 && sandbox_install((enum sandbox_kind)kind) < 0)
			leave(1);
		fn();
		leave(ALLOWED_STATUS);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], out.err + len, sizeof(out.err) - 1 - len)) > 0)
		len += (size_t)n;
	out.err[len] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &wstatus, 0), pid);
	out.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -WTERMSIG(wstatus);
	return out;
}

static struct outcome confined_run(enum sandbox_kind kind, attempt_fn fn)
{
	return run_child((int)kind, fn);
}

/* fn in a child that confines itself (or not) as it pleases. */
static struct outcome unconfined_run(attempt_fn fn)
{
	return run_child(-1, fn);
}

static void assert_killed_for(struct outcome out, const char *kind, const char *call)
{
	char want[128];

	snprintf(want, sizeof(want), "vfkit: sandbox: thread %s made forbidden syscall %s (", kind,
		 call);
	if (!strstr(out.err, want))
		fail_msg("expected \"%s\" on stderr, got \"%s\" (status %d)", want, out.err,
			 out.status);
	assert_int_equal(out.status, SANDBOX_EXIT_STATUS);
}

static void assert_allowed(struct outcome out)
{
	if (out.status != ALLOWED_STATUS)
		fail_msg("status %d, stderr \"%s\"", out.status, out.err);
	assert_null(strstr(out.err, "forbidden"));
}

/* ---- attempts ---- */

static void open_inet_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd >= 0)
		close(fd);
}

static void open_netlink_socket(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW, 0);

	if (fd >= 0)
		close(fd);
}

static void exec_shell(void)
{
	char *const argv[] = {"/bin/sh", "-c", "exit 0", NULL};

	execv(argv[0], argv);
}

static void create_file(void)
{
	int fd = open(CREATED_PATH, O_WRONLY | O_CREAT, 0600);

	if (fd >= 0)
		close(fd);
}

static void read_file(void)
{
	char c;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &c, 1) != 1)
		leave(2);
	close(fd);
}

/* The request number is what is filtered: the fd does not matter. */
static void kvm_run_ioctl(void)
{
	ioctl(-1, KVM_RUN, 0);
}

static void kvm_irq_line_ioctl(void)
{
	struct kvm_irq_level l = {0};

	ioctl(-1, KVM_IRQ_LINE, &l);
}

static void kvm_create_vm_ioctl(void)
{
	ioctl(-1, KVM_CREATE_VM, 0);
}

/* What a fatal signal's handler does to the stdio console, in any thread. */
static void restore_terminal(void)
{
	struct termios t = {0};

	ioctl(-1, TCSETSF, &t);
}

static void map_executable(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void map_and_log(void)
{
	char *p = malloc(1 << 20); /* a fresh mmap, not the brk heap */

	if (!p)
		leave(2);
	memset(p, 1, 1 << 20);
	free(p);
	fprintf(stderr, "still alive\n");
}

static void new_thread_clone(void)
{
	/* fork() is clone(): no thread kind may create processes or threads. */
	if (fork() == 0)
		leave(0);
}

static void io_uring_new_ring(void)
{
	syscall(SYS_io_uring_setup, 8, NULL);
}

/*
 * Grows this thread's malloc heap and gives it back: in a glibc arena of its
 * own, the first shrink opens /proc/sys/vm/overcommit_memory.
 */
static void *churn_heap(void *arg)
{
	enum { N = 64, SIZE = 96 << 10 }; /* below the mmap threshold: heap memory */
	static char *blocks[N];

	if (sandbox_install(*(enum sandbox_kind *)arg) < 0)
		leave(1);
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < N; i++) {
			blocks[i] = malloc(SIZE);
			if (!blocks[i])
				leave(2);
			memset(blocks[i], round, SIZE);
		}
		for (int i = N - 1; i >= 0; i--)
			free(blocks[i]);
	}
	/* From here: a sanitizer's thread teardown (sigaltstack) is not under test. */
	leave(ALLOWED_STATUS);
	return NULL;
}

/* As vm_main() does: sandbox_init() in the main thread, then confined threads. */
static void init_then_churn_in_a_thread(void)
{
	static enum sandbox_kind kind = SANDBOX_VCPU;
	pthread_t t;

	setenv("VFKIT_SANDBOX", "on", 1);
	if (sandbox_init() < 0 || pthread_create(&t, NULL, churn_heap, &kind) != 0)
		leave(3);
	pthread_join(t, NULL);
}

static void test_threads_allocate_and_free_inside_the_sandbox(void **state)
{
	(void)state;
	/* The child confines itself only in its new thread: the main one stays free. */
	assert_allowed(unconfined_run(init_then_churn_in_a_thread));
}

/* ---- cases ---- */

static void test_vcpu_may_not_open_a_socket(void **state)
{
	(void)state;
	assert_killed_for(confined_run(SANDBOX_VCPU, open_inet_socket), "vcpu", "socket");
}

static void test_vcpu_may_not_exec(void **state)
{
	(void)state;
	assert_killed_for(confined_run(SANDBOX_VCPU, exec_shell), "vcpu", "execve");
}

static void test_vcpu_may_not_open_files(void **state)
{
	(void)state;
	assert_killed_for(confined_run(SANDBOX_VCPU, read_file), "vcpu", "openat");
}

static void test_vcpu_runs_and_raises_interrupts(void **state)
{
	(void)state;
	assert_allowed(confined_run(SANDBOX_VCPU, kvm_run_ioctl));
	assert_allowed(confined_run(SANDBOX_VCPU, kvm_irq_line_ioctl));
	assert_allowed(confined_run(SANDBOX_VCPU, map_and_log));
	assert_allowed(confined_run(SANDBOX_VCPU, restore_terminal));
	assert_allowed(confined_run(SANDBOX_REST, restore_terminal));
}

static void test_vcpu_may_not_create_a_vm(void **state)
{
	(void)state;
	assert_killed_for(confined_run(SANDBOX_VCPU, kvm_create_vm_ioctl), "vcpu", "ioctl");
}

static void test_loop_may_not_run_a_vcpu(void **state)
{
	(void)state;
	assert_killed_for(confined_run(SANDBOX_LOOP, kvm_run_ioctl), "loop", "ioctl");
	assert_allowed(confined_run(SANDBOX_LOOP, kvm_irq_line_ioctl));
}

static void test_loop_sockets_are_inet_and_unix_only(void **state)
{
	(void)state;
	assert_allowed(confined_run(SANDBOX_LOOP, open_inet_socket));
	assert_killed_for(confined_run(SANDBOX_LOOP, open_netlink_socket), "loop", "socket");
}

static void test_loop_opens_read_only(void **state)
{
	(void)state;
	assert_allowed(confined_run(SANDBOX_LOOP, read_file));
	unlink(CREATED_PATH);
	assert_killed_for(confined_run(SANDBOX_LOOP, create_file), "loop", "openat");
	assert_int_equal(access(CREATED_PATH, F_OK), -1);
}

static void test_loop_may_not_exec_or_fork(void **state)
{
	(void)state;
	assert_killed_for(confined_run(SANDBOX_LOOP, exec_shell), "loop", "execve");
	assert_killed_for(confined_run(SANDBOX_LOOP, new_thread_clone), "loop", "clone");
	assert_killed_for(confined_run(SANDBOX_LOOP, io_uring_new_ring), "loop", "io_uring_setup");
}

/* Its Stop request raises the power button's SCI; nothing more of KVM. */
static void test_rest_only_raises_an_interrupt(void **state)
{
	(void)state;
	assert_allowed(confined_run(SANDBOX_REST, kvm_irq_line_ioctl));
	assert_killed_for(confined_run(SANDBOX_REST, kvm_run_ioctl), "rest", "ioctl");
	assert_killed_for(confined_run(SANDBOX_REST, open_inet_socket), "rest", "socket");
	assert_killed_for(confined_run(SANDBOX_REST, read_file), "rest", "openat");
}

static void test_no_kind_maps_executable_memory(void **state)
{
	(void)state;
	for (int k = 0; k < SANDBOX_KIND_COUNT; k++)
		assert_killed_for(confined_run((enum sandbox_kind)k, map_executable),
				  sandbox_kind_name((enum sandbox_kind)k), "mmap");
}

static int tty_fd = -1;

/* A stdio console's terminal in raw mode, then a call the vCPU may not make. */
static void raw_terminal_then_socket(void)
{
	if (terminal_raw(tty_fd, NULL) < 0)
		leave(2);
	if (sandbox_install(SANDBOX_VCPU) < 0)
		leave(1);
	open_inet_socket();
}

static void test_kill_restores_the_terminal(void **state)
{
	struct termios t;
	int master;

	(void)state;
	master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	tty_fd = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(tty_fd >= 0);
	assert_int_equal(tcgetattr(tty_fd, &t), 0);
	assert_true(t.c_lflag & ICANON); /* a new pty is cooked */

	assert_killed_for(unconfined_run(raw_terminal_then_socket), "vcpu", "socket");
	assert_int_equal(tcgetattr(tty_fd, &t), 0);
	assert_true(t.c_lflag & ICANON);
	assert_true(t.c_lflag & ECHO);
	close(tty_fd);
	close(master);
}

static void test_switch_values(void **state)
{
	(void)state;
	setenv("VFKIT_SANDBOX", "of", 1);
	assert_int_equal(sandbox_init(), -1);
	setenv("VFKIT_SANDBOX", "off", 1);
	assert_int_equal(sandbox_init(), 0);
	assert_false(sandbox_enabled());
	/* Off: entering is a no-op, the process keeps every right. */
	assert_int_equal(sandbox_enter(SANDBOX_VCPU), 0);
	setenv("VFKIT_SANDBOX", "on", 1);
	assert_int_equal(sandbox_init(), 0);
	assert_true(sandbox_enabled());
	unsetenv("VFKIT_SANDBOX");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vcpu_may_not_open_a_socket),
		cmocka_unit_test(test_vcpu_may_not_exec),
		cmocka_unit_test(test_vcpu_may_not_open_files),
		cmocka_unit_test(test_vcpu_runs_and_raises_interrupts),
		cmocka_unit_test(test_vcpu_may_not_create_a_vm),
		cmocka_unit_test(test_loop_may_not_run_a_vcpu),
		cmocka_unit_test(test_loop_sockets_are_inet_and_unix_only),
		cmocka_unit_test(test_loop_opens_read_only),
		cmocka_unit_test(test_loop_may_not_exec_or_fork),
		cmocka_unit_test(test_rest_only_raises_an_interrupt),
		cmocka_unit_test(test_no_kind_maps_executable_memory),
		cmocka_unit_test(test_threads_allocate_and_free_inside_the_sandbox),
		cmocka_unit_test(test_kill_restores_the_terminal),
		cmocka_unit_test(test_switch_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
