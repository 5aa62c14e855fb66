#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "stdfds.h"

void
ensure_std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
	else if (fd < 0)
		abort();
}

int
stdout_is_open(void)
{
	return fcntl(STDOUT_FILENO, F_GETFD) != -1;
}
