/*
 * sandbox_ns.c — namespaces and the filesystem view of a worker and its jobs.
 *
 * Worker (steps 6, 8, 9, 10 of sandbox.h):
 *
 *   pvf__sandbox_enter_userns   unshare(CLONE_NEWUSER|CLONE_NEWNS), then NEWNET; "deny" to
 *                               setgroups; identity uid/gid maps (in == out,
 *                               so files keep their owner). The creator gets
 *                               every capability *in the new namespace only*,
 *                               which is what the mounts below need.
 *   pvf__sandbox_build_root     "/" MS_REC|MS_PRIVATE (nothing we mount leaks
 *                               out, nothing from outside propagates in);
 *                               a small tmpfs on /tmp of *this* namespace is
 *                               the new root; into it:
 *                                 /work   the worker dir (bound from the cwd,
 *                                         so a worker dir under /tmp works),
 *                                         nosuid,nodev,noexec;
 *                                         prepare rw, execute ro
 *                                 prepare: /usr ro (+ the /bin, /lib, /lib64,
 *                                         /sbin symlinks or binds as on the
 *                                         host), /etc/ld.so.cache and
 *                                         /etc/alternatives ro, /dev/{null,
 *                                         zero,urandom}, /tmp a size-capped
 *                                         tmpfs (compiler scratch)
 *                                 execute: nothing else (the artifact
 *                                         is mapped from a memfd by the
 *                                         engine's loader, no file needed)
 *   pvf__sandbox_pivot          chdir(new root); pivot_root(".", ".");
 *                               umount2(".", MNT_DETACH) drops the old root;
 *                               remount "/" read-only.
 *   pvf__sandbox_drop_caps      bounding set, ambient set, securebits (no
 *                               root magic on exec), then capset(0): nothing
 *                               left to remount or unshare with.
 *
 * Job (per request, pvf__sandbox_clone_job): clone() with NEWUSER|NEWPID|
 * NEWIPC|NEWUTS|NEWCGROUP|NEWNS (the network namespace is the worker's,
 * which is empty). A nested user namespace is needed because the worker has
 * no capabilities left to create the others; the child becomes PID 1 of its
 * own PID namespace (everything it forks dies with it, and it can name no
 * process outside), and has no way back.
 *
 * A lean job (an execute job that will run under the allow list) is a
 * plain fork, in the worker's namespaces: the allow list refuses every
 * system call through which another namespace's objects or another process
 * could be named, used or changed (no kill or tgkill, prlimit64 on itself
 * only, no ptrace, no SysV or POSIX IPC, no open, no mount, no
 * sethostname), and the job holds no capability. Its own user and PID
 * namespaces cost about 10 % of the execute worker's throughput (the other
 * four as much again; docs/performance.md). A lean job whose allow list
 * fails to install runs no untrusted code (pvf_sandbox_job_needs_allow_list).
 * Fallback: plain fork() when the kernel refuses.
 *
 * Nothing here logs; every failure is returned (errno or pvf_error).
 */
#include "worker/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Size of the tmpfs that becomes "/" (it only holds mount points). */
#define ROOT_TMPFS_OPTS "size=1m,nr_inodes=256,mode=0755"
/* Compiler scratch (/tmp) of a prepare worker: gcc/clang temporary files. */
#define PREPARE_TMP_OPTS "size=512m,nr_inodes=4096,mode=1777"
/* Where, in the worker's own mount namespace, the new root is assembled. */
#define STAGING "/tmp"

/* No CLONE_NEWNET per job: creating a network namespace costs ~0.5 ms, four
 * times all the others together (measured: clone with every flag 636 us,
 * without NEWNET 141 us, plain fork 75 us). The worker entered an empty
 * network namespace of its own at start-up, once; its jobs share that one,
 * which has no interface but a down loopback and no abstract sockets bound. */
#define JOB_NS (CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_NEWNS)

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = strlen(text);
	ssize_t w = write(fd, text, len);
	int e = errno;
	close(fd);
	if (w < 0)
		return -e;
	return (size_t)w == len ? 0 : -EIO;
}

int pvf__sandbox_enter_userns(uid_t in_uid, gid_t in_gid, int *err_no)
{
	uid_t out_uid = geteuid();
	gid_t out_gid = getegid();
	char map[64];
	int r;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		*err_no = errno;
		return -1;
	}
	/* An empty network namespace for the worker and all its jobs. Allowed
	 * once we own a user namespace; without it the seccomp deny list
	 * (socket, connect, ...) and landlock's network rules still hold. */
	(void)unshare(CLONE_NEWNET);
	/* An unprivileged gid_map needs setgroups disabled first. */
	r = write_file("/proc/self/setgroups", "deny");
	if (r < 0 && r != -ENOENT) {
		*err_no = -r;
		return -1;
	}
	snprintf(map, sizeof map, "%u %u 1\n", (unsigned)in_uid, (unsigned)out_uid);
	if ((r = write_file("/proc/self/uid_map", map)) < 0) {
		*err_no = -r;
		return -1;
	}
	snprintf(map, sizeof map, "%u %u 1\n", (unsigned)in_gid, (unsigned)out_gid);
	if ((r = write_file("/proc/self/gid_map", map)) < 0) {
		*err_no = -r;
		return -1;
	}
	return 0;
}

/* Creates `path` as a directory or an empty file (for binding a file). */
static int make_point(const char *path, bool is_dir)
{
	if (is_dir) {
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		return 0;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Binds `src` onto `dst` and remounts it with `flags` (MS_RDONLY, MS_NOSUID,
 * ...). The remount keeps the atime flags the source mount has: they are
 * locked when that mount came from a more privileged namespace. */
static int bind_with_flags(const char *src, const char *dst, bool rec,
		unsigned long flags, const char **what)
{
	*what = "bind";
	if (mount(src, dst, NULL, MS_BIND | (rec ? MS_REC : 0), NULL) < 0)
		return -errno;
	*what = "remount";
	unsigned long base = MS_REMOUNT | MS_BIND | flags;
	if (mount(NULL, dst, NULL, base | MS_NOATIME, NULL) == 0)
		return 0;
	if (mount(NULL, dst, NULL, base | MS_RELATIME, NULL) == 0)
		return 0;
	if (mount(NULL, dst, NULL, base, NULL) == 0)
		return 0;
	return -errno;
}

/* A host path that is a symlink (Debian's merged /usr: /bin -> usr/bin) is
 * recreated as the same symlink; a real directory is bound read-only. */
static int mirror_system_path(const char *name, pvf_error *err)
{
	char host[64], dst[96], target[256];
	struct stat st;
	const char *what;

	snprintf(host, sizeof host, "/%s", name);
	snprintf(dst, sizeof dst, STAGING "/%s", name);
	if (lstat(host, &st) < 0)
		return 0; /* absent on this machine: nothing to mirror */
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlink(host, target, sizeof target - 1);
		if (n < 0 || (size_t)n >= sizeof target - 1)
			return pvf_error_set(err, PVF_E_IO, "sandbox: readlink %s failed", host);
		target[n] = '\0';
		if (symlink(target, dst) < 0 && errno != EEXIST)
			return pvf_error_set(err, PVF_E_IO, "sandbox: symlink %s: %s", dst,
					strerror(errno));
		return 0;
	}
	bool is_dir = S_ISDIR(st.st_mode);
	int r = make_point(dst, is_dir);
	if (r < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: create %s: %s", dst, strerror(-r));
	r = bind_with_flags(host, dst, is_dir, MS_RDONLY | MS_NOSUID | MS_NODEV, &what);
	if (r < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: %s %s: %s", what, host,
				strerror(-r));
	return 0;
}

static int bind_device(const char *name, pvf_error *err)
{
	char host[64], dst[96];
	const char *what;
	snprintf(host, sizeof host, "/dev/%s", name);
	snprintf(dst, sizeof dst, STAGING "/dev/%s", name);
	int r = make_point(dst, false);
	if (r < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: create %s: %s", dst, strerror(-r));
	/* Not nodev (it is a device); read-only does not stop writes to a
	 * character device, only to the node's metadata. */
	r = bind_with_flags(host, dst, false, MS_RDONLY | MS_NOSUID | MS_NOEXEC, &what);
	if (r < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: %s %s: %s", what, host,
				strerror(-r));
	return 0;
}

int pvf__sandbox_build_root(const pvf_sandbox_opts *o, pvf_sandbox_report *r,
		pvf_error *err)
{
	const char *what;
	int rc;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: make / private: %s",
				strerror(errno));
	if (mount("tmpfs", STAGING, "tmpfs", MS_NOSUID | MS_NODEV, ROOT_TMPFS_OPTS) < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: tmpfs root on " STAGING ": %s",
				strerror(errno));

	rc = make_point(STAGING PVF_SANDBOX_WORK_DIR, true);
	if (rc < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: mkdir work: %s", strerror(-rc));
	unsigned long wflags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (o->mode == PVF_SANDBOX_EXECUTE)
		wflags |= MS_RDONLY;
	/* The cwd, not a descriptor: a descriptor opened before unshare names
	 * a mount of the old namespace, which mount(MS_BIND) refuses (EINVAL);
	 * the kernel moved the cwd into the new namespace for us. */
	rc = bind_with_flags(".", STAGING PVF_SANDBOX_WORK_DIR, false, wflags, &what);
	if (rc < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: %s worker dir: %s", what,
				strerror(-rc));

	if (o->mode == PVF_SANDBOX_PREPARE) {
		static const char *const sys[] = { "usr", "bin", "sbin", "lib", "lib64",
			"lib32", "libx32" };
		for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++)
			if (mirror_system_path(sys[i], err) < 0)
				return -1;
		if ((rc = make_point(STAGING "/etc", true)) < 0)
			return pvf_error_set(err, PVF_E_IO, "sandbox: mkdir etc: %s",
					strerror(-rc));
		if (mirror_system_path("etc/ld.so.cache", err) < 0 ||
		    mirror_system_path("etc/alternatives", err) < 0)
			return -1;
		if ((rc = make_point(STAGING "/dev", true)) < 0)
			return pvf_error_set(err, PVF_E_IO, "sandbox: mkdir dev: %s",
					strerror(-rc));
		if (bind_device("null", err) < 0 || bind_device("zero", err) < 0 ||
		    bind_device("urandom", err) < 0)
			return -1;
		if ((rc = make_point(STAGING "/tmp", true)) < 0)
			return pvf_error_set(err, PVF_E_IO, "sandbox: mkdir tmp: %s",
					strerror(-rc));
		if (mount("tmpfs", STAGING "/tmp", "tmpfs",
				MS_NOSUID | MS_NODEV | MS_NOEXEC, PREPARE_TMP_OPTS) < 0)
			return pvf_error_set(err, PVF_E_IO, "sandbox: tmpfs /tmp: %s",
					strerror(errno));
	}
	pvf__sandbox_note(r, PVF_SBF_MOUNTNS, true, true,
			"tmpfs root, /work %s%s", o->mode == PVF_SANDBOX_EXECUTE ? "ro" : "rw",
			o->mode == PVF_SANDBOX_EXECUTE ? "" :
			", /usr /etc/ld.so.cache /dev/{null,zero,urandom} ro, /tmp tmpfs");
	return 0;
}

int pvf__sandbox_pivot(pvf_sandbox_report *r, pvf_error *err)
{
	if (chdir(STAGING) < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: chdir new root: %s",
				strerror(errno));
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: pivot_root: %s", strerror(errno));
	/* The old root is now stacked on ".": detach it. */
	if (umount2(".", MNT_DETACH) < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: detach old root: %s",
				strerror(errno));
	if (chdir("/") < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: chdir /: %s", strerror(errno));
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
			NULL) < 0)
		return pvf_error_set(err, PVF_E_IO, "sandbox: remount / ro: %s",
				strerror(errno));
	pvf__sandbox_note(r, PVF_SBF_PIVOT_ROOT, true, true, "old root detached, / ro");
	return 0;
}

int pvf__sandbox_drop_caps(bool bounding_set, int *err_no)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	/* Needs CAP_SETPCAP: fails harmlessly (EPERM) where we have none. One
	 * prctl, hence one new set of credentials, per capability. */
	for (int cap = 0; bounding_set && cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break;
	(void)prctl(PR_SET_SECUREBITS,
			SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
			SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
			SECBIT_KEEP_CAPS_LOCKED |
			SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
			0, 0, 0);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		*err_no = errno;
		return -1;
	}
	memset(data, 0, sizeof data);
	if (syscall(SYS_capset, &hdr, data) < 0) {
		*err_no = errno;
		return -1;
	}
	/* Verify rather than trust. */
	memset(data, 0xff, sizeof data);
	if (syscall(SYS_capget, &hdr, data) < 0) {
		*err_no = errno;
		return -1;
	}
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (data[i].effective || data[i].permitted || data[i].inheritable) {
			*err_no = EPERM;
			return -1;
		}
	return 0;
}

pid_t pvf__sandbox_clone_job(bool lean, bool *got_ns, int *err_no)
{
	/* A NULL stack makes clone() behave like fork(). */
	long pid = syscall(SYS_clone, (lean ? 0 : JOB_NS) | SIGCHLD, NULL, NULL, NULL, 0UL);
	if (pid >= 0) {
		*got_ns = !lean;
		return (pid_t)pid;
	}
	*err_no = errno;
	*got_ns = false;
	return -1;
}

pid_t pvf__sandbox_clone_keyed(uint64_t key, int *ret_pidfd, int *err_no)
{
	/* fork() with a pidfd for the parent; key goes in the argument this
	 * clone ignores (pvf__seccomp_clone_key). */
	int pidfd = -1;
	long pid = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, NULL, &pidfd, NULL, key);
	if (pid < 0) {
		*err_no = errno;
		return -1;
	}
	*ret_pidfd = pid > 0 ? pidfd : -1;
	return (pid_t)pid;
}

/* ---- probes: each runs in a throwaway child (see sandbox_probe.c) ---- */

int pvf__sandbox_probe_userns(char *detail, size_t cap)
{
	int e = 0;
	if (pvf__sandbox_enter_userns(geteuid(), getegid(), &e) < 0) {
		snprintf(detail, cap, "unshare/maps: %s", strerror(e));
		return -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		snprintf(detail, cap, "mount private: %s", strerror(errno));
		return -1;
	}
	snprintf(detail, cap, "user+mount namespace, identity maps");
	return 0;
}

int pvf__sandbox_probe_pivot(char *detail, size_t cap)
{
	if (pvf__sandbox_probe_userns(detail, cap) < 0)
		return -1;
	if (mount("tmpfs", STAGING, "tmpfs", MS_NOSUID | MS_NODEV, ROOT_TMPFS_OPTS) < 0 ||
	    chdir(STAGING) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0) {
		snprintf(detail, cap, "tmpfs/pivot_root: %s", strerror(errno));
		return -1;
	}
	snprintf(detail, cap, "pivot_root into a tmpfs");
	return 0;
}

int pvf__sandbox_probe_jobns(char *detail, size_t cap)
{
	bool ns = false;
	int e = 0, st = 0;
	pid_t pid = pvf__sandbox_clone_job(false, &ns, &e);
	if (pid < 0) {
		snprintf(detail, cap, "clone(NEWUSER|NEWPID|NEWIPC|...): %s", strerror(e));
		return -1;
	}
	if (pid == 0)
		_exit(getpid() == 1 ? 0 : 1);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(detail, cap, "job child is not PID 1 of a new namespace");
		return -1;
	}
	snprintf(detail, cap, "user/pid/ipc/uts/cgroup/mnt");
	return 0;
}
