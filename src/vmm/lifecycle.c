// SPDX-License-Identifier: Apache-2.0
/*
 * SIGINT/SIGTERM/SIGHUP and the pidfile (reference sections 11.2 and 11.4).
 *
 * Signals arrive through a signalfd on the main loop, so the handling code is
 * ordinary loop code: press the power button, give the guest 5 s (timerfd) to
 * power off, then end the VM without it. The process still exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/lifecycle.h"
#include "vmm/vm.h"

#define STOP_GRACE_SECONDS 5

static struct {
	int sig_fd;
	int timer_fd;
	bool timer_armed;
	char *pidfile;
} lc = {.sig_fd = -1, .timer_fd = -1};

static void stop_signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	/*
	 * The controlling terminal went away (ssh dropped, terminal closed):
	 * stop like SIGTERM so the exit handlers run. Under nohup SIGHUP is
	 * ignored, hence never pending, and this changes nothing.
	 */
	sigaddset(set, SIGHUP);
}

void lifecycle_init(struct vm *vm)
{
	sigset_t set;

	vm_state_init(vm);
	stop_signal_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* Peers of sockets and pipes may go away at any time: see EPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
}

/* Go's names for them: upstream prints os.Signal.String(). */
static const char *signal_text(uint32_t signo)
{
	switch (signo) {
	case SIGINT:
		return "interrupt";
	case SIGTERM:
		return "terminated";
	case SIGHUP:
		return "hangup";
	default:
		return "signal";
	}
}

static void arm_grace_timer(void)
{
	struct itimerspec its = {.it_value.tv_sec = STOP_GRACE_SECONDS};

	if (lc.timer_armed)
		return;
	if (timerfd_settime(lc.timer_fd, 0, &its, NULL) < 0) {
		log_error("cannot arm the stop timer: %s", strerror(errno));
		return;
	}
	lc.timer_armed = true;
}

static void on_stop_signal(struct vm *vm, uint32_t signo)
{
	struct vm_state_info info;
	char err[256];

	log_info("captured %s, calling exit handlers and exiting..", signal_text(signo));
	vm_get_state(vm, &info);
	if (info.state == VM_STATE_STOPPED || info.state == VM_STATE_ERROR)
		return;
	if (!info.can_stop && info.can_hard_stop) {
		/* Paused: the guest cannot react to the power button. */
		log_warn("failed to shutdown VM: the VM is %s, forcing stop",
			 vm_state_name(info.state));
		vm_force_stop(vm);
		return;
	}
	if (info.can_stop && vm_request_state(vm, VM_REQ_STOP, err, sizeof(err)) < 0)
		log_warn("failed to shutdown VM: %s", err);
	arm_grace_timer();
}

static void on_signalfd(void *opaque, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	while (read(lc.sig_fd, &si, sizeof(si)) == sizeof(si))
		on_stop_signal(opaque, si.ssi_signo);
}

static void on_grace_timeout(void *opaque, uint32_t events)
{
	struct vm *vm = opaque;
	struct vm_state_info info;
	uint64_t expirations;

	(void)events;
	if (read(lc.timer_fd, &expirations, sizeof(expirations)) < 0)
		return;
	vm_get_state(vm, &info);
	if (info.state == VM_STATE_STOPPED || info.state == VM_STATE_ERROR)
		return;
	log_warn("failed to wait for VM stop: timeout waiting for VM state, forcing stop");
	vm_force_stop(vm);
}

static void close_fds(void *opaque)
{
	struct vm *vm = opaque;

	if (lc.sig_fd >= 0) {
		if (vm->loop)
			loop_remove(vm->loop, lc.sig_fd);
		close(lc.sig_fd);
	}
	if (lc.timer_fd >= 0) {
		if (vm->loop)
			loop_remove(vm->loop, lc.timer_fd);
		close(lc.timer_fd);
	}
	lc.sig_fd = lc.timer_fd = -1;
	lc.timer_armed = false;
}

static int watch_signals(struct vm *vm)
{
	sigset_t set;
	int ret;

	stop_signal_set(&set);
	lc.sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	lc.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (lc.sig_fd < 0 || lc.timer_fd < 0) {
		ret = -errno;
		goto fail;
	}
	ret = loop_add(vm->loop, lc.sig_fd, EPOLLIN, on_signalfd, vm);
	if (ret == 0)
		ret = loop_add(vm->loop, lc.timer_fd, EPOLLIN, on_grace_timeout, vm);
	if (ret == 0)
		ret = vm_at_exit(vm, close_fds, vm);
	if (ret == 0)
		return 0;
fail:
	log_error("cannot watch SIGINT/SIGTERM/SIGHUP: %s", strerror(-ret));
	close_fds(vm);
	return -1;
}

int lifecycle_write_pidfile(const char *path)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d", (int)getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600) < 0 || write(fd, buf, len) != len)
		err = errno ? -errno : -EIO;
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

/* True when path still holds our pid (another vfkit may have taken it over). */
static bool pidfile_is_ours(const char *path)
{
	char buf[32] = "", want[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	snprintf(want, sizeof(want), "%d", (int)getpid());
	return n > 0 && !strcmp(buf, want);
}

static void remove_pidfile(void *opaque)
{
	(void)opaque;
	if (lc.pidfile && pidfile_is_ours(lc.pidfile) && unlink(lc.pidfile) < 0 && errno != ENOENT)
		log_warn("could not remove pidfile %s: %s", lc.pidfile, strerror(errno));
	free(lc.pidfile);
	lc.pidfile = NULL;
}

static int write_pidfile(struct vm *vm)
{
	const char *path = vm->cfg ? vm->cfg->pidfile : NULL;
	int ret;

	if (!path || !*path)
		return 0;
	ret = lifecycle_write_pidfile(path);
	if (ret < 0) {
		log_error("could not write PID: open %s: %s", path, strerror(-ret));
		return -1;
	}
	lc.pidfile = strdup(path);
	if (!lc.pidfile || vm_at_exit(vm, remove_pidfile, NULL) < 0) {
		unlink(path);
		free(lc.pidfile);
		lc.pidfile = NULL;
		log_error("could not write PID: out of memory");
		return -1;
	}
	return 0;
}

int lifecycle_start(struct vm *vm)
{
	if (watch_signals(vm) < 0)
		return -1;
	return write_pidfile(vm);
}
