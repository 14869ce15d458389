/*
 * sandbox_landlock.c — landlock rules for a worker (step 12 of sandbox.h).
 *
 * Landlock is gated on the ABI version the kernel reports
 * (landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)):
 *
 *   ABI 1 (5.13) filesystem access rights        ABI 4 (6.7)  TCP bind/connect
 *   ABI 2 (5.19) REFER (cross-dir rename/link)   ABI 5 (6.10) IOCTL_DEV
 *   ABI 3 (6.2)  TRUNCATE                        ABI 6 (6.12) scoping: abstract
 *                                                             unix sockets, signals
 *
 * Debian 12's <linux/landlock.h> stops at ABI 2, so everything newer (the
 * access bits, and a ruleset attribute with handled_access_net and scoped)
 * is defined here from the kernel's UAPI documentation
 * (Documentation/userspace-api/landlock.rst). The kernel takes the attribute
 * size we pass, so a struct with more fields than an old kernel knows is
 * simply cut to the size that ABI understands.
 *
 * Policy: every right the ABI knows is "handled" (denied unless a rule grants
 * it). Rules, with paths as the worker sees them (after pivot_root, or the
 * host paths when the worker is not pivoted):
 *   prepare  /work (or o->dir)  read, write, create/remove files and dirs,
 *                               rename within (REFER), truncate; no exec,
 *                               no device/socket/fifo/symlink creation
 *            /tmp (pivot only)  the same (compiler scratch tmpfs)
 *            /usr, /lib*, /bin, /sbin, /etc/ld.so.cache, /etc/alternatives
 *                               read + execute (the compiler)
 *            /dev/null, /dev/zero, /dev/urandom   read + write
 *   execute  /work              read only (no exec: the artifact is a memfd)
 * Network (ABI >= 4): no TCP bind/connect rule at all = all denied.
 * Scope (ABI >= 6): no abstract-socket connect or signal outside the domain.
 * Landlock also forbids the sandboxed process any mount topology change.
 */
#include "worker/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

/* UAPI constants past Debian 12's headers (values from the kernel UAPI). */
#define LL_FS_EXECUTE      (1ULL << 0)
#define LL_FS_WRITE_FILE   (1ULL << 1)
#define LL_FS_READ_FILE    (1ULL << 2)
#define LL_FS_READ_DIR     (1ULL << 3)
#define LL_FS_REMOVE_DIR   (1ULL << 4)
#define LL_FS_REMOVE_FILE  (1ULL << 5)
#define LL_FS_MAKE_CHAR    (1ULL << 6)
#define LL_FS_MAKE_DIR     (1ULL << 7)
#define LL_FS_MAKE_REG     (1ULL << 8)
#define LL_FS_MAKE_SOCK    (1ULL << 9)
#define LL_FS_MAKE_FIFO    (1ULL << 10)
#define LL_FS_MAKE_BLOCK   (1ULL << 11)
#define LL_FS_MAKE_SYM     (1ULL << 12)
#define LL_FS_REFER        (1ULL << 13)  /* ABI 2 */
#define LL_FS_TRUNCATE     (1ULL << 14)  /* ABI 3 */
#define LL_FS_IOCTL_DEV    (1ULL << 15)  /* ABI 5 */
#define LL_NET_BIND_TCP    (1ULL << 0)   /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)   /* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL    (1ULL << 1)   /* ABI 6 */
#define LL_RULE_PATH_BENEATH 1

/* struct landlock_ruleset_attr as of ABI 6. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};
/* Attribute sizes the kernel accepts per ABI. */
#define LL_ATTR_SIZE_V1 8
#define LL_ATTR_SIZE_V4 16
#define LL_ATTR_SIZE_V6 24

#define LL_FS_ABI1 ((1ULL << 13) - 1)

#define LL_READ (LL_FS_READ_FILE | LL_FS_READ_DIR)
#define LL_READ_EXEC (LL_READ | LL_FS_EXECUTE)
#define LL_WORKDIR (LL_READ | LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | \
	LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_REFER | LL_FS_TRUNCATE)
#define LL_DEVICE (LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_TRUNCATE)

int pvf__landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
			(unsigned long)LANDLOCK_CREATE_RULESET_VERSION);
	return v < 0 ? 0 : (int)v;
}

static uint64_t handled_fs(int abi)
{
	uint64_t h = LL_FS_ABI1;
	if (abi >= 2)
		h |= LL_FS_REFER;
	if (abi >= 3)
		h |= LL_FS_TRUNCATE;
	if (abi >= 5)
		h |= LL_FS_IOCTL_DEV;
	return h;
}

/* Adds a path-beneath rule; a path missing on this machine is skipped. */
static int add_path(int ruleset, const char *path, uint64_t access, uint64_t handled,
		bool required, pvf_error *err)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		if (!required && errno == ENOENT)
			return 0;
		return pvf_error_set(err, PVF_E_IO, "landlock: open %s: %s", path,
				strerror(errno));
	}
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		access &= LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_WRITE_FILE |
			LL_FS_TRUNCATE | LL_FS_IOCTL_DEV;   /* file-only rights */
	memset(&pb, 0, sizeof pb);
	pb.allowed_access = access & handled;
	pb.parent_fd = fd;
	long rc = syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0);
	int e = errno;
	close(fd);
	if (rc < 0)
		return pvf_error_set(err, PVF_E_IO, "landlock: rule %s: %s", path, strerror(e));
	return 0;
}

int pvf__sandbox_landlock(const pvf_sandbox_opts *o, bool pivoted, int dirfd,
		pvf_sandbox_report *r, pvf_error *err)
{
	int abi = pvf__landlock_abi();
	struct ll_ruleset_attr attr;
	size_t attr_size = LL_ATTR_SIZE_V1;
	/* Without pivot_root the worker dir is named by the descriptor opened
	 * before privileges were dropped (its parents may not be searchable). */
	char work_fd_path[64];
	snprintf(work_fd_path, sizeof work_fd_path, "/proc/self/fd/%d", dirfd);
	const char *work = pivoted ? PVF_SANDBOX_WORK_DIR : work_fd_path;

	if (r)
		r->landlock_abi = abi;
	if (abi < 1) {
		pvf__sandbox_note(r, PVF_SBF_LANDLOCK, false, false, "no landlock (%s)",
				strerror(errno));
		return 1;
	}
	memset(&attr, 0, sizeof attr);
	attr.handled_access_fs = handled_fs(abi);
	if (abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		attr_size = LL_ATTR_SIZE_V4;
	}
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
		attr_size = LL_ATTR_SIZE_V6;
	}
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0UL);
	if (rs < 0)
		return pvf_error_set(err, PVF_E_IO, "landlock: create ruleset (ABI %d): %s",
				abi, strerror(errno));

	uint64_t h = attr.handled_access_fs;
	int rc = 0;
	if (o->mode == PVF_SANDBOX_PREPARE) {
		static const char *const sys[] = { "/usr", "/bin", "/sbin", "/lib", "/lib64",
			"/lib32", "/libx32", "/etc/ld.so.cache", "/etc/alternatives" };
		static const char *const dev[] = { "/dev/null", "/dev/zero", "/dev/urandom" };
		rc = add_path(rs, work, LL_WORKDIR, h, true, err);
		if (rc == 0 && pivoted)
			rc = add_path(rs, "/tmp", LL_WORKDIR, h, true, err);
		for (size_t i = 0; rc == 0 && i < sizeof sys / sizeof sys[0]; i++)
			rc = add_path(rs, sys[i], LL_READ_EXEC, h, false, err);
		for (size_t i = 0; rc == 0 && i < sizeof dev / sizeof dev[0]; i++)
			rc = add_path(rs, dev[i], LL_DEVICE, h, false, err);
	} else {
		rc = add_path(rs, work, LL_READ, h, true, err);
	}
	if (rc == 0 && syscall(SYS_landlock_restrict_self, rs, 0UL) < 0)
		rc = pvf_error_set(err, PVF_E_IO, "landlock: restrict_self: %s",
				strerror(errno));
	close(rs);
	if (rc < 0)
		return -1;
	pvf__sandbox_note(r, PVF_SBF_LANDLOCK, true, true, "ABI %d, %s", abi,
			o->mode == PVF_SANDBOX_PREPARE ? "write only in its dir" :
			"read only its dir");
	if (abi >= 4)
		pvf__sandbox_note(r, PVF_SBF_LANDLOCK_NET, true, true, "TCP bind+connect denied");
	else
		pvf__sandbox_note(r, PVF_SBF_LANDLOCK_NET, false, false, "needs ABI 4 (have %d)", abi);
	if (abi >= 6)
		pvf__sandbox_note(r, PVF_SBF_LANDLOCK_SCOPE, true, true,
				"abstract unix + signals scoped");
	else
		pvf__sandbox_note(r, PVF_SBF_LANDLOCK_SCOPE, false, false,
				"needs ABI 6 (have %d)", abi);
	return 0;
}

/* Probe (in a throwaway child): restrict to nothing, check a read fails. */
int pvf__landlock_probe(char *detail, size_t cap)
{
	int abi = pvf__landlock_abi();
	if (abi < 1) {
		snprintf(detail, cap, "landlock_create_ruleset: %s", strerror(errno));
		return -1;
	}
	struct ll_ruleset_attr attr = { handled_fs(abi), 0, 0 };
	int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, (size_t)LL_ATTR_SIZE_V1, 0UL);
	if (rs < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_landlock_restrict_self, rs, 0UL) < 0) {
		snprintf(detail, cap, "ABI %d, restrict failed: %s", abi, strerror(errno));
		return -1;
	}
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		snprintf(detail, cap, "ABI %d but a denied read succeeded", abi);
		return -1;
	}
	snprintf(detail, cap, "ABI %d", abi);
	return abi;
}
