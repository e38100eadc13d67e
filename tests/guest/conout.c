// SPDX-License-Identifier: Apache-2.0
/*
 * conout - the guest's single console writer.
 *
 *   conout FIFO SINK...
 *
 * Copies everything written into FIFO to every SINK (a tty or file), in
 * order. After each chunk it waits until a tty has really transmitted it
 * (tcdrain), so that when the VMM merges several sinks into one log (COM1
 * mirrored to the virtio-serial log *and* /dev/hvc0 written directly) a
 * line from one sink is never split by bytes from the other. Writers keep
 * the FIFO open for as long as they live; conout exits when the last one
 * has closed it, after draining every sink, so /init can wait for it before
 * powering off and no final line is lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>

#define MAX_SINKS 4

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int sinks[MAX_SINKS], nsinks = 0;
	char buf[4096];
	int in;

	if (argc < 3) {
		fprintf(stderr, "usage: conout FIFO SINK...\n");
		return 2;
	}
	for (int i = 2; i < argc && nsinks < MAX_SINKS; i++) {
		int fd = open(argv[i], O_WRONLY | O_NOCTTY);

		if (fd >= 0)
			sinks[nsinks++] = fd;
	}
	/* Blocks until the first writer opens the FIFO. */
	in = open(argv[1], O_RDONLY);
	if (in < 0) {
		perror("conout: open fifo");
		return 1;
	}
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (int i = 0; i < nsinks; i++) {
			/* A dead sink must not silence the others. */
			if (write_all(sinks[i], buf, (size_t)n) == 0 && isatty(sinks[i]))
				tcdrain(sinks[i]);
		}
	}
	for (int i = 0; i < nsinks; i++) {
		if (isatty(sinks[i]))
			tcdrain(sinks[i]);
		else
			fsync(sinks[i]);
	}
	return 0;
}
