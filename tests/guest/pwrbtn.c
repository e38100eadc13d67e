// SPDX-License-Identifier: Apache-2.0
/*
 * pwrbtn - wait until the power button is pressed, then exit 0.
 *
 * The ACPI button driver reports the power button (fixed-feature or
 * PNP0C0C) as an input device ("Power Button") that sends KEY_POWER. We
 * watch every /dev/input/event* device that can send KEY_POWER, rescanning
 * twice a second so that devices probed after we started are seen too.
 * Prints the name of the device that reported the press on stdout.
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_DEVS 32
#define BITS_PER_LONG (8 * sizeof(unsigned long))

struct dev {
	int fd;
	char path[300];
};

static struct dev devs[MAX_DEVS];
static int ndevs;

static int can_send_power(int fd)
{
	unsigned long keys[KEY_MAX / BITS_PER_LONG + 1];

	memset(keys, 0, sizeof(keys));
	if (ioctl(fd, EVIOCGBIT(EV_KEY, sizeof(keys)), keys) < 0)
		return 0;
	return !!(keys[KEY_POWER / BITS_PER_LONG] & (1UL << (KEY_POWER % BITS_PER_LONG)));
}

static int known(const char *path)
{
	for (int i = 0; i < ndevs; i++)
		if (strcmp(devs[i].path, path) == 0)
			return 1;
	return 0;
}

static void scan(void)
{
	DIR *d = opendir("/dev/input");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) && ndevs < MAX_DEVS) {
		char path[300];
		int fd;

		if (strncmp(e->d_name, "event", 5) != 0)
			continue;
		snprintf(path, sizeof(path), "/dev/input/%s", e->d_name);
		if (known(path))
			continue;
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!can_send_power(fd)) {
			close(fd);
			continue;
		}
		devs[ndevs].fd = fd;
		snprintf(devs[ndevs].path, sizeof(devs[ndevs].path), "%s", path);
		ndevs++;
	}
	closedir(d);
}

/* 1 if the device reported a KEY_POWER press. */
static int pressed(int fd)
{
	struct input_event ev[16];
	ssize_t n;

	while ((n = read(fd, ev, sizeof(ev))) > 0) {
		for (size_t i = 0; i < (size_t)n / sizeof(ev[0]); i++)
			if (ev[i].type == EV_KEY && ev[i].code == KEY_POWER && ev[i].value == 1)
				return 1;
	}
	return 0;
}

int main(void)
{
	for (;;) {
		struct pollfd pfd[MAX_DEVS];

		scan();
		for (int i = 0; i < ndevs; i++)
			pfd[i] = (struct pollfd){ .fd = devs[i].fd, .events = POLLIN };
		if (poll(pfd, (nfds_t)ndevs, 500) <= 0)
			continue;
		for (int i = 0; i < ndevs; i++) {
			char name[128] = "?";

			if (!(pfd[i].revents & POLLIN) || !pressed(devs[i].fd))
				continue;
			ioctl(devs[i].fd, EVIOCGNAME(sizeof(name) - 1), name);
			printf("%s %s\n", devs[i].path, name);
			return 0;
		}
	}
}
