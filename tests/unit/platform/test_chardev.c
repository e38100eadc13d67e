// SPDX-License-Identifier: Apache-2.0
/*
 * Character backends: log file (created/truncated), pty (name, raw, input
 * through the loop, never blocking), stdio without a terminal (pipes) and
 * with one (a pty standing in for the user's terminal: raw while open,
 * restored on close and by the exit handler).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "backends/chardev.h"
#include "vmm/loop.h"
#include "vmm/vm.h"

static vm_exit_fn exit_fn;
static void *exit_opaque;

int vm_at_exit(struct vm *vm, vm_exit_fn fn, void *opaque)
{
	(void)vm;
	exit_fn = fn;
	exit_opaque = opaque;
	return 0;
}

static unsigned int runtime_locked;

void config_runtime_lock(void)
{
	runtime_locked++;
}

void config_runtime_unlock(void)
{
}

static struct vm vm;
static pthread_t loop_thread;
static bool loop_running;

static void *loop_main(void *arg)
{
	(void)arg;
	loop_run(vm.loop);
	return NULL;
}

/* The loop runs on its own thread, like vfkit's main loop beside vCPUs. */
static void start_loop(void)
{
	assert_int_equal(pthread_create(&loop_thread, NULL, loop_main, NULL), 0);
	loop_running = true;
}

static void quit_call(void *opaque)
{
	(void)opaque;
	loop_quit(vm.loop);
}

/*
 * Stops it once everything queued so far has run (calls run in order);
 * chardev_close must then run on the "loop thread": us.
 */
static void stop_loop(void)
{
	if (!loop_running)
		return;
	assert_int_equal(loop_call(vm.loop, quit_call, NULL), 0);
	pthread_join(loop_thread, NULL);
	loop_running = false;
}

static int setup(void **state)
{
	(void)state;
	memset(&vm, 0, sizeof(vm));
	vm.loop = loop_new();
	assert_non_null(vm.loop);
	exit_fn = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	stop_loop();
	loop_free(vm.loop);
	return 0;
}

static pthread_mutex_t got_lock = PTHREAD_MUTEX_INITIALIZER;
static char got[8192];
static size_t got_len;

static void on_input(void *opaque, const void *buf, size_t len)
{
	(void)opaque;
	pthread_mutex_lock(&got_lock);
	assert_true(got_len + len <= sizeof(got));
	memcpy(got + got_len, buf, len);
	got_len += len;
	pthread_mutex_unlock(&got_lock);
}

static size_t input_len(void)
{
	size_t n;

	pthread_mutex_lock(&got_lock);
	n = got_len;
	pthread_mutex_unlock(&got_lock);
	return n;
}

static void reset_input(void)
{
	pthread_mutex_lock(&got_lock);
	got_len = 0;
	pthread_mutex_unlock(&got_lock);
}

/* Waits up to ms for at least len input bytes; returns how many arrived. */
static size_t wait_input(size_t len, int ms)
{
	struct timespec ts = {0, 10 * 1000 * 1000};

	for (int waited = 0; input_len() < len && waited < ms; waited += 10)
		nanosleep(&ts, NULL);
	return input_len();
}

/* --- log file --- */

static void test_logfile_truncates(void **state)
{
	char path[] = "/tmp/vfkit-chr-XXXXXX";
	int fd = mkstemp(path);
	struct serial_config cfg = {.mode = SERIAL_LOGFILE, .log_file_path = path};
	char buf[64] = {0};

	(void)state;
	assert_int_equal(write(fd, "old contents here", 17), 17);
	close(fd);
	struct chardev *chr = chardev_open(&vm, &cfg);

	assert_non_null(chr);
	assert_int_equal(chardev_write(chr, "new", 3), 3);
	chardev_close(chr);
	fd = open(path, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "new");
	close(fd);
	unlink(path);
}

static void test_logfile_bad_path(void **state)
{
	struct serial_config cfg = {.mode = SERIAL_LOGFILE,
				    .log_file_path = "/nonexistent-dir/x.log"};

	(void)state;
	assert_null(chardev_open(&vm, &cfg));
}

/* --- pty --- */

static void test_pty(void **state)
{
	struct serial_config cfg = {.mode = SERIAL_PTY};
	char buf[64] = {0};
	struct termios t;

	(void)state;
	runtime_locked = 0;
	struct chardev *chr = chardev_open(&vm, &cfg);

	assert_non_null(chr);
	assert_non_null(cfg.pty_name);
	assert_int_equal(strncmp(cfg.pty_name, "/dev/pts/", 9), 0);
	assert_int_equal(runtime_locked, 1);
	int s = open(cfg.pty_name, O_RDWR | O_NOCTTY);

	assert_true(s >= 0);
	/* Raw: no echo, no line editing, no CR/LF translation. */
	assert_int_equal(tcgetattr(s, &t), 0);
	assert_false(t.c_lflag & (ICANON | ECHO));
	assert_false(t.c_oflag & OPOST);

	assert_int_equal(chardev_write(chr, "out\n", 4), 4);
	assert_int_equal(read(s, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "out\n", 4);

	reset_input();
	start_loop();
	chardev_set_input(chr, on_input, NULL);
	assert_int_equal(write(s, "abc", 3), 3);
	assert_int_equal(wait_input(3, 2000), 3);
	assert_memory_equal(got, "abc", 3);

	/* Flow control: with input refused nothing is read... */
	chardev_accept_input(chr, false);
	wait_input(4, 100); /* let the loop apply it */
	assert_int_equal(write(s, "xyz", 3), 3);
	assert_int_equal(wait_input(4, 300), 3);
	/* ... and it arrives once accepted again. */
	chardev_accept_input(chr, true);
	assert_int_equal(wait_input(6, 2000), 6);
	assert_memory_equal(got + 3, "xyz", 3);

	stop_loop();
	close(s);
	chardev_close(chr);
	free(cfg.pty_name);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_pty_never_blocks(void **state)
{
	struct serial_config cfg = {.mode = SERIAL_PTY};
	static char big[256 * 1024];

	(void)state;
	struct chardev *chr = chardev_open(&vm, &cfg);

	assert_non_null(chr);
	/* Nobody reads the slave: the pty fills up, then the ring, then drops. */
	double t0 = now_s();

	for (int i = 0; i < 8; i++)
		assert_int_equal(chardev_write(chr, big, sizeof(big)), sizeof(big));
	assert_true(now_s() - t0 < 1.0);
	/* The loop picks up the queued flush (and keeps failing to write). */
	start_loop();
	stop_loop();
	chardev_close(chr); /* bounded final flush */
	assert_true(now_s() - t0 < 3.0);
	free(cfg.pty_name);
}

/* --- stdio --- */

struct stdio_swap {
	int saved_in, saved_out;
};

static void swap_stdio(struct stdio_swap *s, int new_in, int new_out)
{
	s->saved_in = dup(STDIN_FILENO);
	s->saved_out = dup(STDOUT_FILENO);
	assert_true(s->saved_in >= 0 && s->saved_out >= 0);
	fflush(stdout);
	dup2(new_in, STDIN_FILENO);
	dup2(new_out, STDOUT_FILENO);
}

static void unswap_stdio(struct stdio_swap *s)
{
	dup2(s->saved_in, STDIN_FILENO);
	dup2(s->saved_out, STDOUT_FILENO);
	close(s->saved_in);
	close(s->saved_out);
}

static void test_stdio_pipes(void **state)
{
	struct serial_config cfg = {.mode = SERIAL_STDIO};
	int inp[2], outp[2];
	struct stdio_swap sw;
	char buf[64] = {0};

	(void)state;
	assert_int_equal(pipe(inp), 0);
	assert_int_equal(pipe(outp), 0);
	swap_stdio(&sw, inp[0], outp[1]);
	struct chardev *chr = chardev_open(&vm, &cfg); /* no ENOTTY without a terminal */
	size_t n = 0;

	if (chr) {
		reset_input();
		start_loop();
		chardev_set_input(chr, on_input, NULL);
		chardev_write(chr, "guest", 5);
		assert_int_equal(write(inp[1], "typed", 5), 5);
		n = wait_input(5, 2000);
		stop_loop();
		chardev_close(chr);
	}
	unswap_stdio(&sw);
	assert_non_null(chr);
	assert_int_equal(n, 5);
	assert_memory_equal(got, "typed", 5);
	close(outp[1]);
	assert_int_equal(read(outp[0], buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "guest", 5);
	close(outp[0]);
	close(inp[0]);
	close(inp[1]);
}

static void test_stdio_terminal_restored(void **state)
{
	struct serial_config cfg = {.mode = SERIAL_STDIO};
	struct stdio_swap sw;
	struct termios before, during, after;
	int m = posix_openpt(O_RDWR | O_NOCTTY);

	(void)state;
	assert_true(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0);
	int s = open(ptsname(m), O_RDWR | O_NOCTTY);

	assert_true(s >= 0);
	assert_int_equal(tcgetattr(s, &before), 0);
	assert_true(before.c_lflag & ICANON);
	swap_stdio(&sw, s, s);
	struct chardev *chr = chardev_open(&vm, &cfg);

	tcgetattr(s, &during);
	vm_exit_fn fn = exit_fn;

	if (chr)
		chardev_close(chr);
	tcgetattr(s, &after);
	unswap_stdio(&sw);
	assert_non_null(chr);
	assert_non_null(fn); /* registered with vm_at_exit */
	assert_false(during.c_lflag & (ICANON | ECHO));
	assert_false(during.c_iflag & ICRNL);
	assert_true(during.c_lflag & ISIG); /* Ctrl-C still reaches vfkit */
	assert_memory_equal(&after.c_lflag, &before.c_lflag, sizeof(after.c_lflag));
	assert_memory_equal(&after.c_iflag, &before.c_iflag, sizeof(after.c_iflag));

	/* The exit handler restores too (e.g. when the VM exits without close). */
	swap_stdio(&sw, s, s);
	chr = chardev_open(&vm, &cfg);
	tcgetattr(s, &during);
	exit_fn(exit_opaque);
	tcgetattr(s, &after);
	if (chr)
		chardev_close(chr);
	unswap_stdio(&sw);
	assert_false(during.c_lflag & ICANON);
	assert_true(after.c_lflag & ICANON);
	close(s);
	close(m);
}

static void test_stdio_terminal_restored_on_signal(void **state)
{
	struct serial_config cfg = {.mode = SERIAL_STDIO};
	struct termios t;
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	int status;

	(void)state;
	assert_true(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0);
	int s = open(ptsname(m), O_RDWR | O_NOCTTY);

	assert_true(s >= 0);
	pid_t pid = fork();

	if (pid == 0) {
		dup2(s, STDIN_FILENO);
		dup2(s, STDOUT_FILENO);
		if (!chardev_open(&vm, &cfg))
			_exit(2);
		tcgetattr(s, &t);
		if (t.c_lflag & ICANON)
			_exit(3);
		raise(SIGQUIT); /* dies of it, after restoring */
		_exit(4);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGQUIT);
	assert_int_equal(tcgetattr(s, &t), 0);
	assert_true(t.c_lflag & ICANON);
	assert_true(t.c_lflag & ECHO);
	close(s);
	close(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_logfile_truncates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logfile_bad_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pty_never_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdio_pipes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdio_terminal_restored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdio_terminal_restored_on_signal, setup,
						teardown),
	};

	/* The terminal code leaves an ignored fatal signal alone (it cannot end
	 * the process), and a shell's background job starts with SIGQUIT
	 * ignored: give the signal test its default action whoever started us. */
	signal(SIGQUIT, SIG_DFL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
