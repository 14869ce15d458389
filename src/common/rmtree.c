/*
 * rmtree.c — removing a directory tree without following symbolic links
 * (worker directories, a prepare job's scratch directory).
 */
#include "common/rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deeper than anything pvfhost or a compiler creates. */
#define DEPTH_MAX 64

static void rm_tree(int parent, const char *name, int depth)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	if (fd < 0 && errno == EACCES && fchmodat(parent, name, 0700, 0) == 0)
		fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOTDIR || errno == ELOOP)
			unlinkat(parent, name, 0);
		return;
	}
	if (depth >= DEPTH_MAX) {
		close(fd);
		return;
	}
	fchmod(fd, 0700);   /* a worker may have made its directories read-only */
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	/* Entries removed during a readdir pass may make it skip others: pass
	 * again until the directory is empty or a pass removes nothing. */
	for (int pass = 0; pass < 3; pass++) {
		bool seen = false, removed = false;
		rewinddir(d);
		while ((de = readdir(d))) {
			struct stat st;
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			seen = true;
			if (de->d_type == DT_DIR ||
			    (de->d_type == DT_UNKNOWN && fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			     S_ISDIR(st.st_mode))) {
				rm_tree(fd, de->d_name, depth + 1);
				if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
					removed = true;
			} else if (unlinkat(fd, de->d_name, 0) == 0) {
				removed = true;
			}
		}
		if (!seen || !removed)
			break;
	}
	closedir(d);
	unlinkat(parent, name, AT_REMOVEDIR);
}

void pvf_rm_tree_at(int parent, const char *name)
{
	rm_tree(parent, name, 0);
}
