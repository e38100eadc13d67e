// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "backends/terminal.h"
#include "util/log.h"
#include "vmm/vm.h"

static struct termios saved;
static int saved_fd = -1;
static volatile sig_atomic_t raw_active;
static bool hooks_installed;

/*
 * Signals that end the process without our exit path running (SIGHUP, SIGINT
 * and SIGTERM go through it: vmm/lifecycle.c reads them from a signalfd).
 */
static const int fatal_signals[] = {SIGQUIT, SIGILL, SIGABRT, SIGFPE, SIGSEGV, SIGBUS};

void terminal_restore(void)
{
	if (!raw_active)
		return;
	raw_active = 0;
	tcsetattr(saved_fd, TCSAFLUSH, &saved);
}

static void restore_at_exit(void *opaque)
{
	(void)opaque;
	terminal_restore();
}

static void on_fatal_signal(int sig)
{
	terminal_restore();
	/* SA_RESETHAND put the default action back: die of the same signal. */
	raise(sig);
}

static void install_hooks(struct vm *vm)
{
	struct sigaction sa;

	if (vm && vm_at_exit(vm, restore_at_exit, NULL) < 0)
		log_warn("stdio: cannot register the terminal restore at exit");
	if (hooks_installed)
		return;
	hooks_installed = true;
	atexit(terminal_restore);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		struct sigaction old;

		/* Leave alone any handler someone else installed. */
		if (sigaction(fatal_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
			sigaction(fatal_signals[i], &sa, NULL);
	}
}

int terminal_raw(int fd, struct vm *vm)
{
	struct termios t;

	if (!isatty(fd))
		return 0; /* pipes, files, /dev/null: plain reads and writes */
	if (raw_active)
		return 0; /* a second stdio console shares the same terminal */
	if (tcgetattr(fd, &saved) < 0) {
		int err = -errno;

		log_error("stdio: cannot read terminal settings: %s", strerror(errno));
		return err;
	}
	saved_fd = fd;
	t = saved;
	t.c_iflag &= (tcflag_t)~ICRNL;
	t.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	install_hooks(vm);
	raw_active = 1;
	if (tcsetattr(fd, TCSANOW, &t) < 0) {
		int err = -errno;

		raw_active = 0;
		log_error("stdio: cannot set terminal mode: %s", strerror(errno));
		return err;
	}
	return 0;
}

int terminal_make_raw(int fd)
{
	struct termios t;

	if (tcgetattr(fd, &t) < 0)
		return -errno;
	cfmakeraw(&t);
	return tcsetattr(fd, TCSANOW, &t) < 0 ? -errno : 0;
}
