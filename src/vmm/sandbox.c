// SPDX-License-Identifier: Apache-2.0
/*
 * Per-thread seccomp allowlists (sandbox.h). Everything that needs more
 * rights happens before a thread enters its sandbox: opening files and
 * /dev/kvm, creating guest RAM, binding sockets, creating threads. What is
 * left is what a thread needs to serve a running guest and to exit cleanly.
 *
 * Filters are per thread and each thread installs its own at its start, so a
 * vCPU never gets the loop's sockets and the loop never gets KVM_RUN. Each
 * thread's filter is built in that thread from the tables below: a
 * libseccomp context is not shared between threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/kvm.h>
#include <malloc.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "backends/terminal.h"
#include "util/array.h"
#include "util/log.h"
#include "vmm/sandbox.h"

/* x86-64 numbers stay below this; larger ones print as numbers. */
#define SYSCALL_NAME_MAX 512

static bool enabled;
static const char *syscall_names[SYSCALL_NAME_MAX];
/* -1: a thread that inherited its creator's filter without entering its own. */
static __thread int thread_kind = -1;

static const char *const kind_names[SANDBOX_KIND_COUNT] = {
	[SANDBOX_LOOP] = "loop",
	[SANDBOX_VCPU] = "vcpu",
	[SANDBOX_REST] = "rest",
};

const char *sandbox_kind_name(enum sandbox_kind kind)
{
	return (unsigned int)kind < SANDBOX_KIND_COUNT ? kind_names[kind] : "unknown";
}

bool sandbox_enabled(void)
{
	return enabled;
}

/* ---- the allowlists -------------------------------------------------------------------- */

/*
 * Every thread: memory (malloc), locks, time, logging to stderr, closing its
 * own descriptors and exiting. mmap/mprotect and tgkill are checked below.
 */
static const int base_calls[] = {
	SCMP_SYS(brk),		 SCMP_SYS(munmap),
	SCMP_SYS(mremap),	 SCMP_SYS(madvise),
	SCMP_SYS(futex),	 SCMP_SYS(sched_yield),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
	SCMP_SYS(gettimeofday),	 SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep),	 SCMP_SYS(getpid),
	SCMP_SYS(gettid),	 SCMP_SYS(getrandom),
	SCMP_SYS(write),	 SCMP_SYS(writev),
	SCMP_SYS(close),	 SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn),	 SCMP_SYS(restart_syscall),
	SCMP_SYS(exit),		 SCMP_SYS(exit_group),
};

/*
 * vCPU threads: KVM_RUN and the device models behind port and MMIO exits.
 * A device's register write can assign an MSI route, an irqfd (with a new
 * eventfd) or an ioeventfd, raise an interrupt, arm a timer (RTC), kick a
 * queue through its eventfd, or wait for a disk's requests on reset.
 */
static const int vcpu_calls[] = {
	SCMP_SYS(read),
	SCMP_SYS(eventfd2),
	SCMP_SYS(timerfd_settime),
	SCMP_SYS(io_uring_enter),
};

/* Interrupts and notifications: raised by devices on vCPUs and on the loop. */
#define DEVICE_IOCTLS KVM_IRQ_LINE, KVM_SIGNAL_MSI, KVM_IRQFD, KVM_IOEVENTFD, KVM_SET_GSI_ROUTING

/* libseccomp tests the last one added first: KVM_RUN, the one made on every exit. */
static const unsigned long vcpu_ioctls[] = {DEVICE_IOCTLS, KVM_RUN};

/*
 * The event loop: signals, timers, console and network backends (libslirp
 * runs here: its sockets to the outside world), block completions, pause and
 * resume (kvmclock), and at exit the terminal, the pidfile, the REST socket
 * and the cloud-init seed. socket() and openat() are checked below.
 */
static const int loop_calls[] = {
	SCMP_SYS(read),		  SCMP_SYS(readv),
	SCMP_SYS(pread64),	  SCMP_SYS(preadv),
	SCMP_SYS(pwrite64),	  SCMP_SYS(pwritev),
	SCMP_SYS(lseek),	  SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),	  SCMP_SYS(stat),
	SCMP_SYS(lstat),	  SCMP_SYS(statx),
	SCMP_SYS(unlink),	  SCMP_SYS(unlinkat),
	SCMP_SYS(fcntl),	  SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait),	  SCMP_SYS(epoll_ctl),
	SCMP_SYS(poll),		  SCMP_SYS(ppoll),
	SCMP_SYS(eventfd2),	  SCMP_SYS(timerfd_settime),
	SCMP_SYS(io_uring_enter), SCMP_SYS(fsync),
	SCMP_SYS(fdatasync),	  SCMP_SYS(fallocate),
	SCMP_SYS(connect),	  SCMP_SYS(bind),
	SCMP_SYS(sendto),	  SCMP_SYS(recvfrom),
	SCMP_SYS(sendmsg),	  SCMP_SYS(sendmmsg),
	SCMP_SYS(recvmsg),	  SCMP_SYS(setsockopt),
	SCMP_SYS(getsockopt),	  SCMP_SYS(getsockname),
	SCMP_SYS(getpeername),	  SCMP_SYS(shutdown),
	SCMP_SYS(rt_sigaction),
};

/*
 * Every thread may restore the stdio console's terminal: a fatal signal
 * (SIGSEGV, abort) restores it in whichever thread it hits, and the loop
 * restores it at exit.
 */
static const unsigned long base_ioctls[] = {TCGETS, TCSETS, TCSETSW, TCSETSF};

static const unsigned long loop_ioctls[] = {
	DEVICE_IOCTLS,
	KVM_GET_CLOCK,
	KVM_SET_CLOCK,
	TIOCGWINSZ, /* the stdio console's terminal */
	/* libslirp */
	FIONREAD,
	FIONBIO,
};

/*
 * The REST server: its own connections, and waking the loop (loop_call). Its
 * Stop request presses the power button, which raises the SCI from this thread.
 */
static const int rest_calls[] = {
	SCMP_SYS(read),	      SCMP_SYS(accept4),     SCMP_SYS(recvfrom),  SCMP_SYS(sendto),
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl), SCMP_SYS(shutdown),
};

static const unsigned long rest_ioctls[] = {KVM_IRQ_LINE};

static int allow_all(scmp_filter_ctx ctx, const int *calls, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0);

		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ioctl() by request number; the high half of the argument is ignored as the kernel does. */
static int allow_ioctls(scmp_filter_ctx ctx, const unsigned long *reqs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
					  SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, reqs[i]));

		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * No new executable memory (no code injected through mmap/mprotect), and
 * signals (the vCPU kick, abort) only to our own threads.
 */
static int allow_base(scmp_filter_ctx ctx)
{
	int rc = allow_all(ctx, base_calls, ARRAY_SIZE(base_calls));

	if (!rc)
		rc = allow_ioctls(ctx, base_ioctls, ARRAY_SIZE(base_ioctls));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	return rc;
}

/*
 * libslirp opens sockets for the guest's connections (ICMP echo is a
 * datagram socket) and reads /etc/resolv.conf again when it changes; the
 * pidfile is read back before it is removed. No other socket family, no
 * file opened for writing or created.
 */
static int allow_loop_extras(scmp_filter_ctx ctx)
{
	static const int families[] = {AF_UNIX, AF_INET, AF_INET6};
	int rc = 0;

	for (size_t i = 0; i < ARRAY_SIZE(families) && !rc; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]));
	if (!rc)
		rc = seccomp_rule_add(
			ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
			SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY));
	return rc;
}

/*
 * The calls each kind makes for every guest exit or event go first in the
 * filter: it is a chain of comparisons, run on each system call.
 */
static const int vcpu_hot[] = {SCMP_SYS(ioctl), SCMP_SYS(write), SCMP_SYS(futex)};
static const int loop_hot[] = {SCMP_SYS(epoll_wait), SCMP_SYS(read),	       SCMP_SYS(write),
			       SCMP_SYS(ioctl),	     SCMP_SYS(io_uring_enter), SCMP_SYS(futex)};
static const int rest_hot[] = {SCMP_SYS(epoll_wait), SCMP_SYS(recvfrom), SCMP_SYS(sendto)};

static int prefer(scmp_filter_ctx ctx, const int *calls, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++)
		rc = seccomp_syscall_priority(ctx, calls[i], (uint8_t)(255 - i));
	return rc;
}

static int prefer_hot_calls(scmp_filter_ctx ctx, enum sandbox_kind kind)
{
	switch (kind) {
	case SANDBOX_VCPU:
		return prefer(ctx, vcpu_hot, ARRAY_SIZE(vcpu_hot));
	case SANDBOX_LOOP:
		return prefer(ctx, loop_hot, ARRAY_SIZE(loop_hot));
	default:
		return prefer(ctx, rest_hot, ARRAY_SIZE(rest_hot));
	}
}

static int add_rules(scmp_filter_ctx ctx, enum sandbox_kind kind)
{
	int rc = allow_base(ctx);

	if (!rc)
		rc = prefer_hot_calls(ctx, kind);

	if (rc)
		return rc;
	switch (kind) {
	case SANDBOX_VCPU:
		rc = allow_all(ctx, vcpu_calls, ARRAY_SIZE(vcpu_calls));
		return rc ? rc : allow_ioctls(ctx, vcpu_ioctls, ARRAY_SIZE(vcpu_ioctls));
	case SANDBOX_LOOP:
		rc = allow_all(ctx, loop_calls, ARRAY_SIZE(loop_calls));
		if (!rc)
			rc = allow_ioctls(ctx, loop_ioctls, ARRAY_SIZE(loop_ioctls));
		return rc ? rc : allow_loop_extras(ctx);
	case SANDBOX_REST:
		rc = allow_all(ctx, rest_calls, ARRAY_SIZE(rest_calls));
		return rc ? rc : allow_ioctls(ctx, rest_ioctls, ARRAY_SIZE(rest_ioctls));
	default:
		return -EINVAL;
	}
}

/* ---- reporting a violation ------------------------------------------------------------- */

static size_t append(char *buf, size_t len, size_t cap, const char *s)
{
	while (*s && len < cap)
		buf[len++] = *s++;
	return len;
}

static size_t append_number(char *buf, size_t len, size_t cap, long n)
{
	char digits[24];
	size_t i = sizeof(digits);
	unsigned long u = n < 0 ? 0ul - (unsigned long)n : (unsigned long)n;

	digits[--i] = '\0';
	do {
		digits[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (n < 0)
		digits[--i] = '-';
	return append(buf, len, cap, &digits[i]);
}

/*
 * Async-signal-safe: only write(), the terminal's ioctl and exit_group(),
 * which every filter allows.
 * Exiting rather than the default action: no core dump of guest memory, and a
 * status scripts can tell from a crash. exit_group by syscall(), not _exit():
 * sanitizers intercept _exit() to check for leaks, with system calls of their own.
 */
static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
	char msg[160];
	size_t n = 0;
	int nr = si->si_syscall;

	(void)sig;
	(void)uctx;
	n = append(msg, n, sizeof(msg), "vfkit: sandbox: thread ");
	n = append(msg, n, sizeof(msg),
		   thread_kind < 0 ? "(inherited filter)" : kind_names[thread_kind]);
	n = append(msg, n, sizeof(msg), " made forbidden syscall ");
	if (nr >= 0 && nr < SYSCALL_NAME_MAX && syscall_names[nr]) {
		n = append(msg, n, sizeof(msg), syscall_names[nr]);
		n = append(msg, n, sizeof(msg), " (");
		n = append_number(msg, n, sizeof(msg), nr);
		n = append(msg, n, sizeof(msg), ")");
	} else {
		n = append_number(msg, n, sizeof(msg), nr);
	}
	n = append(msg, n, sizeof(msg) - 1, "\n");
	if (write(STDERR_FILENO, msg, n) < 0) {
		/* nothing left to tell it to */
	}
	/* A stdio console's terminal: tcsetattr is an ioctl every filter allows. */
	terminal_restore();
	syscall(SYS_exit_group, SANDBOX_EXIT_STATUS);
}

/* Resolved once, up front: the handler cannot call into libseccomp. */
static void load_syscall_names(void)
{
	for (int nr = 0; nr < SYSCALL_NAME_MAX; nr++)
		syscall_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
}

static pthread_once_t reporter_once = PTHREAD_ONCE_INIT;
static int reporter_err;

static void install_reporter_once(void)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};

	load_syscall_names();
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		reporter_err = errno;
}

static int install_reporter(void)
{
	pthread_once(&reporter_once, install_reporter_once);
	errno = reporter_err;
	return reporter_err ? -1 : 0;
}

/* ---- switching it on ------------------------------------------------------------------- */

/*
 * ASan and LSan make their own system calls at exit and in reports (a ptrace
 * helper thread for leak checks, /proc/self/maps), which no allowlist of ours
 * should carry: sanitizer builds run without the sandbox unless asked.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif
#ifndef SANITIZER_BUILD
#define SANITIZER_BUILD 0
#endif

int sandbox_init(void)
{
	const char *env = getenv("VFKIT_SANDBOX");

	if (env && strcmp(env, "off") && strcmp(env, "on")) {
		log_error("VFKIT_SANDBOX=%s: expected on or off", env);
		return -1;
	}
	if (env ? !strcmp(env, "off") : SANITIZER_BUILD) {
		log_debug("sandbox: off (%s)", env ? "VFKIT_SANDBOX=off"
						   : "sanitizer build; VFKIT_SANDBOX=on forces it");
		enabled = false;
		return 0;
	}
	/*
	 * jansson seeds its hash function from /dev/urandom when the first JSON
	 * object is made, which may be in the REST thread, after its filter:
	 * seed it now, before any thread exists.
	 */
	json_object_seed(0);
	/*
	 * glibc gives each thread that allocates its own malloc arena, and the
	 * first time it shrinks one it opens /proc/sys/vm/overcommit_memory:
	 * in a vCPU or the REST thread, after its filter. One arena for all
	 * threads (trimmed with brk) never does; our threads allocate little.
	 */
	mallopt(M_ARENA_MAX, 1);
	/* EINVAL without CONFIG_SECCOMP_FILTER: better to refuse than to run unconfined. */
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 || install_reporter() < 0) {
		log_error("sandbox: seccomp is not available (%s); VFKIT_SANDBOX=off runs "
			  "without it",
			  strerror(errno));
		return -1;
	}
	enabled = true;
	log_debug("sandbox: on, one seccomp allowlist per thread kind");
	return 0;
}

/*
 * A thread that blocks SIGSYS (the REST thread blocks every signal) would not
 * run the reporter: the kernel would reset SIGSYS to its default and the
 * process would die without saying why.
 */
static int unblock_sigsys(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	return -pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

int sandbox_install(enum sandbox_kind kind)
{
	scmp_filter_ctx ctx;
	int rc;

	if ((unsigned int)kind >= SANDBOX_KIND_COUNT)
		return -1;
	if (install_reporter() < 0) {
		log_error("sandbox: cannot handle SIGSYS: %s", strerror(errno));
		return -1;
	}
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx) {
		log_error("sandbox: %s thread: cannot build its filter", kind_names[kind]);
		return -1;
	}
	/* Another architecture's system call numbers (int 0x80, x32) never mean ours. */
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (!rc)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	if (!rc)
		rc = add_rules(ctx, kind);
	if (!rc) {
		thread_kind = kind;
		rc = unblock_sigsys();
	}
	if (!rc)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc) {
		thread_kind = -1;
		log_error("sandbox: %s thread: cannot install its filter: %s", kind_names[kind],
			  strerror(-rc));
		return -1;
	}
	log_debug("sandbox: %s thread confined", kind_names[kind]);
	return 0;
}

int sandbox_enter(enum sandbox_kind kind)
{
	return enabled ? sandbox_install(kind) : 0;
}
