#ifndef CSPAWN_H
#define CSPAWN_H
// The sandbox launcher's shared definitions and the server-side helpers (libc only).
//
// Commands are started by `mish-sandbox`, a small C program the server spawns once per sandbox profile (a
// "zygote"). The zygote joins the profile's cgroups, enters the namespaces (user when not root, mount, net, ipc,
// uts), builds the read-only mount view, and then waits on a unix socket for commands. For each command it clones
// an init in a new PID and mount namespace (fresh /proc) which sets rlimits, starts a session, drops every
// capability, sets NO_NEW_PRIVS, applies Landlock and loads the seccomp BPF, forks the command (which only sets
// up its fds and cwd and calls execve), forwards TERM/INT/HUP/QUIT/USR1/USR2 to it, reaps orphans, writes the
// command's wait status to the status fd and exits — taking its whole PID namespace with it. The zygote is tiny
// and single-threaded, so its forks cost little; the namespaces, mounts and cgroup are paid for once.
//
// Messages are records `[u32 tag][u32 length][bytes]`; fds travel as SCM_RIGHTS on a SOCK_SEQPACKET socket.
#include <stdint.h>
#include <sys/types.h>

/// What the zygote does; the Swift side decides from the profile and the kernel probe.
enum {
  MISH_SPAWN_NEWUSER = 1 << 0,  // a user namespace mapping the caller's uid/gid to themselves (non-root)
  MISH_SPAWN_NEWNS = 1 << 1,    // a mount namespace with the read-only view
  MISH_SPAWN_NEWPID = 1 << 2,   // a PID namespace (and mount namespace, for a fresh /proc) per command
  MISH_SPAWN_NEWNET = 1 << 3,   // a network namespace (loopback only, brought up)
  MISH_SPAWN_NEWIPC = 1 << 4,
  MISH_SPAWN_NEWUTS = 1 << 5,
  MISH_SPAWN_DROP_CAPS = 1 << 6,  // empty the bounding, ambient, effective, permitted, inheritable sets
  MISH_SPAWN_NO_NEW_PRIVS = 1 << 7,
  MISH_SPAWN_WORKTREE_WRITABLE = 1 << 8,
};

/// Record tags. Setup (once per zygote): the U32/U64 fields, RLIMIT (i32 resource, u64 value), strings (WORKTREE
/// once; PROTECT, LANDLOCK_FULL, LANDLOCK_DEV, REVEAL repeated), BPF bytes; the cgroup.procs fds ride along. Command:
/// FILE, SEARCH_PATH, CWD, ARG and ENV (repeated); fds stdin, stdout, stderr, status.
enum mish_tag {
  MISH_TAG_FLAGS = 1, MISH_TAG_UID, MISH_TAG_GID, MISH_TAG_TMP_BYTES, MISH_TAG_CAP_LAST_CAP, MISH_TAG_LANDLOCK_ABI,
  MISH_TAG_LANDLOCK_FS, MISH_TAG_LANDLOCK_NET, MISH_TAG_LANDLOCK_SCOPED, MISH_TAG_LANDLOCK_DEV_ACCESS,
  MISH_TAG_RLIMIT, MISH_TAG_WORKTREE, MISH_TAG_PROTECT, MISH_TAG_LANDLOCK_FULL, MISH_TAG_LANDLOCK_DEV, MISH_TAG_BPF,
  MISH_TAG_REVEAL,
  MISH_TAG_FILE = 32, MISH_TAG_SEARCH_PATH, MISH_TAG_CWD, MISH_TAG_ARG, MISH_TAG_ENV,
};

/// Where setup failed, reported with errno.
enum mish_spawn_stage {
  MISH_STAGE_NONE = 0,
  MISH_STAGE_PIPE, MISH_STAGE_CLONE, MISH_STAGE_CGROUP, MISH_STAGE_USERNS, MISH_STAGE_MOUNT_PRIVATE,
  MISH_STAGE_OPEN_TREE, MISH_STAGE_READ_ONLY_ROOT, MISH_STAGE_TMPFS, MISH_STAGE_DEV, MISH_STAGE_WORKTREE,
  MISH_STAGE_PROTECT, MISH_STAGE_PROC, MISH_STAGE_LOOPBACK, MISH_STAGE_HOSTNAME, MISH_STAGE_RLIMIT,
  MISH_STAGE_SETSID, MISH_STAGE_CAPS, MISH_STAGE_NO_NEW_PRIVS, MISH_STAGE_LANDLOCK, MISH_STAGE_SECCOMP,
  MISH_STAGE_FORK, MISH_STAGE_CHDIR, MISH_STAGE_DUP, MISH_STAGE_EXEC, MISH_STAGE_PROTOCOL, MISH_STAGE_NAMESPACES,
  MISH_STAGE_COUNT
};

/// A name for a stage, for error messages ("landlock", "exec", ...).
const char *mish_spawn_stage_name(int stage);

/// The zygote's answer to setup (pid 0) and to each command (the init's pid, in the caller's PID namespace).
struct mish_reply {
  int32_t pid;
  int32_t stage;
  int32_t error;
};

/// Sends one message with up to 16 fds. Returns 0, or -1 with errno.
int mish_send_message(int socket, const void *bytes, size_t length, const int *fds, int fd_count);

/// Receives one message into `buffer` and up to `max_fds` fds (CLOEXEC) into `fds`. Returns its length (0 at end
/// of input) or -1 with errno; `*truncated` is set when the message or its fds did not fit.
ssize_t mish_receive_message(int socket, void *buffer, size_t size, int *fds, int max_fds, int *fd_count, int *truncated);

/// Receives one reply and the fd that may come with it (a command's pidfd; else -1). Returns 0, or -1 with errno
/// (ECONNRESET when the zygote is gone, ETIMEDOUT).
int mish_receive_reply(int socket, struct mish_reply *reply, int *fd, int timeout_ms);

/// socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC) with 1 MiB send buffers.
int mish_seqpacket_pair(int fds[2]);

/// Spawns `path` with argv (CLONE_VM-style posix_spawn: cheap however large the caller is), `socket` as its fd 3
/// and every other fd above 2 closed. Returns the pid or -1 with errno.
pid_t mish_spawn_helper(const char *path, char *const argv[], int socket);

/// Closes every fd from `from` up (close_range(2), or one by one where it is missing).
void mish_close_from(int from);

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

/// posix_spawn_file_actions_addclosefrom_np (a GNU extension Swift's Glibc module does not expose): the child
/// closes every descriptor from `from` on.
int mish_spawn_closefrom(void *actions, int from);

#endif
