#ifndef CSPAWN_H
#define CSPAWN_H
// The sandbox launcher: libc only, no allocation after fork. One spec in, a pid (or a stage and an errno) out.
//
// The child is a tiny init ("pid 1" when a PID namespace is asked for) that joins the cgroups, enters the
// namespaces, builds the mount view, sets rlimits, starts a new session, drops every capability, sets
// NO_NEW_PRIVS, applies Landlock and loads the seccomp BPF; then it forks the command, which only sets up its
// fds and cwd and calls execve. The init forwards TERM/INT/HUP/QUIT/USR1/USR2 to the command's process group,
// reaps every orphan, writes the command's wait status to `status_fd` and exits. When it exits, the kernel kills
// whatever is left in the PID namespace.
#include <stdint.h>
#include <sys/types.h>

/// What the launcher does; the Swift side decides from the profile and the kernel probe.
enum {
  MISH_SPAWN_NEWUSER = 1 << 0,  // a user namespace mapping the caller's uid/gid to themselves (non-root)
  MISH_SPAWN_NEWNS = 1 << 1,    // a mount namespace with the read-only view below
  MISH_SPAWN_NEWPID = 1 << 2,   // a PID namespace with a fresh /proc
  MISH_SPAWN_NEWNET = 1 << 3,   // a network namespace (loopback only, brought up)
  MISH_SPAWN_NEWIPC = 1 << 4,
  MISH_SPAWN_NEWUTS = 1 << 5,
  MISH_SPAWN_DROP_CAPS = 1 << 6,       // empty the bounding, ambient, effective, permitted, inheritable sets
  MISH_SPAWN_NO_NEW_PRIVS = 1 << 7,
  MISH_SPAWN_WORKTREE_WRITABLE = 1 << 8,
};

/// Where setup failed, reported with errno over the CLOEXEC pipe.
enum mish_spawn_stage {
  MISH_STAGE_NONE = 0,
  MISH_STAGE_PIPE, MISH_STAGE_CLONE, MISH_STAGE_CGROUP, MISH_STAGE_USERNS, MISH_STAGE_MOUNT_PRIVATE,
  MISH_STAGE_OPEN_TREE, MISH_STAGE_READ_ONLY_ROOT, MISH_STAGE_TMPFS, MISH_STAGE_DEV, MISH_STAGE_WORKTREE,
  MISH_STAGE_PROTECT, MISH_STAGE_PROC, MISH_STAGE_LOOPBACK, MISH_STAGE_HOSTNAME, MISH_STAGE_RLIMIT,
  MISH_STAGE_SETSID, MISH_STAGE_CAPS, MISH_STAGE_NO_NEW_PRIVS, MISH_STAGE_LANDLOCK, MISH_STAGE_SECCOMP,
  MISH_STAGE_FORK, MISH_STAGE_CHDIR, MISH_STAGE_DUP, MISH_STAGE_EXEC, MISH_STAGE_COUNT
};

/// A name for a stage, for error messages ("landlock", "exec", ...).
const char *mish_spawn_stage_name(int stage);

struct mish_rlimit {
  int resource;
  uint64_t value;  // soft = hard
};

struct mish_spawn_spec {
  const char *file;             // argv[0] when it has a '/', else searched in `search_path`
  const char *search_path;      // PATH used for the search (colon-separated)
  char *const *argv;
  char *const *envp;
  const char *cwd;              // absolute; the sandbox sees the worktree at its own path
  int stdin_fd, stdout_fd, stderr_fd;  // the child's 0, 1, 2 (-1: /dev/null)
  int status_fd;                // the init writes the command's wait status here (4 bytes)
  int flags;                    // MISH_SPAWN_*
  uint32_t outer_uid, outer_gid;

  // Mount view (MISH_SPAWN_NEWNS): everything read-only and nosuid, then tmpfs on /tmp (tmp_bytes), /run and
  // /dev (with null, zero, full, random, urandom, tty bound in and a tmpfs /dev/shm), the worktree bound at its
  // own path (writable when asked), `protect` paths inside it bound read-only, and a fresh /proc (with
  // /proc/sys, sysrq-trigger, irq, bus read-only) when there is a PID namespace.
  const char *worktree;
  const char *const *protect;   // NULL-terminated; paths that do not exist are skipped
  uint64_t tmp_bytes;

  const struct mish_rlimit *rlimits;
  int rlimit_count;

  const int *cgroup_procs_fds;  // each gets "0" written: the init joins those cgroups first
  int cgroup_count;

  int cap_last_cap;

  // Landlock (abi > 0): the handled masks are already cut to the kernel's ABI by the caller.
  int landlock_abi;
  uint64_t landlock_fs_handled;
  uint64_t landlock_net_handled;
  uint64_t landlock_scoped;
  const char *const *landlock_full;  // NULL-terminated; every handled fs right beneath these
  const char *const *landlock_dev;   // NULL-terminated; write, truncate and device ioctls beneath these
  uint64_t landlock_dev_access;

  const void *bpf;              // struct sock_filter[], exported by libseccomp in the parent
  uint32_t bpf_instructions;    // 0: no seccomp filter
};

struct mish_spawn_result {
  pid_t pid;     // the init's pid in the caller's PID namespace, or -1
  int stage;     // MISH_STAGE_NONE on success
  int error;     // errno of the failing stage
};

/// Spawns the sandboxed command. Blocks until the command has been exec'd or setup failed. The calling thread
/// should live as long as the child: PR_SET_PDEATHSIG fires when the *thread* that forked exits.
void mish_spawn(const struct mish_spawn_spec *spec, struct mish_spawn_result *result);

/// pidfd_open(2); -1 and errno on failure.
int mish_pidfd_open(pid_t pid);

/// memfd_create(name, MFD_CLOEXEC).
int mish_memfd(const char *name);

/// The highest capability number the kernel knows (from /proc/sys/kernel/cap_last_cap), or 40.
int mish_cap_last_cap(void);

/// The Landlock ABI version, or -1 without Landlock.
int mish_landlock_abi_version(void);

/// 1 when the kernel offers seccomp filters.
int mish_seccomp_supported(void);

/// epoll for the supervising thread, without the packed epoll_event struct Swift cannot import well.
int mish_epoll_create(void);
int mish_epoll_add(int epoll_fd, int fd);  // EPOLLIN | EPOLLHUP
int mish_epoll_del(int epoll_fd, int fd);
/// Waits; fills `fds` with the ready fds and returns how many (or -1).
int mish_epoll_wait(int epoll_fd, int *fds, int max, int timeout_ms);
/// eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK).
int mish_eventfd(void);
/// pidfd_send_signal(2).
int mish_pidfd_signal(int pidfd, int sig);

/// pipe2(O_CLOEXEC | flags).
int mish_pipe(int fds[2], int nonblocking);

#endif
