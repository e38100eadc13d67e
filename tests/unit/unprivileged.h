/* SPDX-License-Identifier: Apache-2.0 */
/*
 * run_unprivileged(): run part of a unit test as an ordinary user.
 *
 * Root passes every permission check, and CI runs the unit tests as root, so
 * a "permission denied" test run directly would either skip (hiding whether
 * the check works) or fail. Instead the check runs in a forked child which,
 * when we are root, first becomes nobody (uid and gid 65534, no
 * supplementary groups). The child reports through MAP_SHARED memory and its
 * exit status; the parent makes the cmocka assertions, since a failing
 * assertion in the child would unwind into a copy of the test runner.
 */
#ifndef VFKIT_TEST_UNPRIVILEGED_H
#define VFKIT_TEST_UNPRIVILEGED_H

#include <grp.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define UNPRIVILEGED_ID 65534 /* nobody / nogroup */

/* Exit statuses of the child other than 0 (fn ran). */
enum { UNPRIV_SETID_FAILED = 101, UNPRIV_STILL_ROOT = 102 };

/* Zeroed memory the child's writes reach the parent through; never freed. */
static inline void *unprivileged_shared(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static inline int drop_to_nobody(void)
{
	if (geteuid() != 0)
		return 0;
	if (setgroups(0, NULL) || setresgid(UNPRIVILEGED_ID, UNPRIVILEGED_ID, UNPRIVILEGED_ID) ||
	    setresuid(UNPRIVILEGED_ID, UNPRIVILEGED_ID, UNPRIVILEGED_ID))
		return UNPRIV_SETID_FAILED;
	/* setresuid() cannot be undone: make sure it took. */
	return geteuid() == 0 || getuid() == 0 ? UNPRIV_STILL_ROOT : 0;
}

/*
 * Runs fn(shared) in a child that is not root. Returns the child's wait
 * status translated: 0 when fn ran and returned, else the failed step's
 * status (UNPRIV_*) or 128 + the signal that killed the child.
 */
static inline int run_unprivileged(void (*fn)(void *shared), void *shared)
{
	int status, rc;
	pid_t pid;

	fflush(NULL); /* or the child's exit would print buffered output twice */
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		rc = drop_to_nobody();
		if (rc == 0)
			fn(shared);
		_exit(rc);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

#endif
