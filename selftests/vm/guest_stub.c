// SPDX-License-Identifier: GPL-2.0
/*
 * guest_stub - stands in for udevadm (systemd-udevd is a link to it) and
 * systemd-tmpfiles in the test guest. `cargo xtask vm` binds it over the
 * host's copies in a private mount namespace of its QEMU, whose 9p export is
 * the guest's root: the host itself is not changed.
 *
 * Asked to start the udev daemon, it makes the links /dev/virtio-ports/NAME
 * that virtme-ng's init needs for the command's input and output; anything
 * else (udevadm trigger and settle, systemd-tmpfiles) it answers at once.
 *
 * Under the debug kernel in TCG the real udev took four minutes to replay
 * the boot's events and then ran into the five-minute timeout of udevadm
 * settle, and systemd-tmpfiles took one and a half: nine of the eleven
 * minutes the guest took to reach its command. The stub is linked
 * statically, since loading a dynamic program there takes seconds.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PORTS "/sys/class/virtio-ports"

static int link_ports(void)
{
	DIR *dir = opendir(PORTS);
	struct dirent *e;
	int ret = 0;

	if (!dir)
		return errno == ENOENT ? 0 : 1;
	if (mkdir("/dev/virtio-ports", 0755) && errno != EEXIST) {
		closedir(dir);
		return 1;
	}
	while ((e = readdir(dir))) {
		char path[512], name[256], target[300], link[600];
		ssize_t n;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), PORTS "/%s/name", e->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, name, sizeof(name) - 1);
		close(fd);
		while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == 0))
			n--;
		if (n <= 0)
			continue;
		name[n] = 0;
		snprintf(target, sizeof(target), "../%s", e->d_name);
		snprintf(link, sizeof(link), "/dev/virtio-ports/%s", name);
		unlink(link);
		if (symlink(target, link))
			ret = 1;
	}
	closedir(dir);
	return ret;
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--daemon") || !strcmp(argv[i], "-d"))
			return link_ports();
	return 0;
}
