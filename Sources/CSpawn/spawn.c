#define _GNU_SOURCE
#include "cspawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

static const char *const stage_names[MISH_STAGE_COUNT] = {
  "none", "pipe", "clone", "cgroup", "user namespace", "private mounts", "open_tree", "read-only root",
  "tmpfs", "/dev", "worktree mount", "protected paths", "/proc", "loopback", "hostname", "rlimit", "setsid",
  "capabilities", "no_new_privs", "landlock", "seccomp", "fork", "chdir", "stdio", "exec",
};

const char *mish_spawn_stage_name(int stage) {
  return stage >= 0 && stage < MISH_STAGE_COUNT ? stage_names[stage] : "unknown";
}

int mish_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int mish_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int mish_epoll_add(int epoll_fd, int fd) {
  struct epoll_event event = {.events = EPOLLIN | EPOLLHUP, .data.fd = fd};
  return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
}

int mish_epoll_del(int epoll_fd, int fd) { return epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL); }

int mish_epoll_wait(int epoll_fd, int *fds, int max, int timeout_ms) {
  struct epoll_event events[64];
  if (max > 64) max = 64;
  int n = epoll_wait(epoll_fd, events, max, timeout_ms);
  for (int i = 0; i < n; i++) fds[i] = events[i].data.fd;
  return n;
}

int mish_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

int mish_pidfd_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }

int mish_memfd(const char *name) { return (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC); }

int mish_pipe(int fds[2], int nonblocking) { return pipe2(fds, O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0)); }

int mish_landlock_abi_version(void) {
  return (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
}

int mish_seccomp_supported(void) {
  return prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0 && prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) >= 0 ? 1 : 0;
}

int mish_cap_last_cap(void) {
  int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 40;
  char buf[16] = {0};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 40;
  int value = 0;
  for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++) value = value * 10 + (buf[i] - '0');
  return value > 0 ? value : 40;
}

// ---- Everything below runs in the child: raw syscalls and stack buffers only. ----

struct report {
  int32_t stage;
  int32_t error;
};

static void fail(int fd, int stage) {
  struct report r = {stage, errno};
  ssize_t ignored = write(fd, &r, sizeof r);
  (void)ignored;
  _exit(127);
}

static size_t length(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

static int write_all(int fd, const char *text, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, text, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    text += w;
    n -= (size_t)w;
  }
  return 0;
}

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = write_all(fd, text, length(text));
  int saved = errno;
  close(fd);
  errno = saved;
  return rc;
}

/// Appends the decimal digits of `value` at `out`; returns the end.
static char *put_uint(char *out, uint64_t value) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = (char)('0' + value % 10);
    value /= 10;
  } while (value);
  while (n) *out++ = digits[--n];
  return out;
}

static char *put_str(char *out, const char *s) {
  while (*s) *out++ = *s++;
  return out;
}

static int map_ids(const struct mish_spawn_spec *spec) {
  char line[64];
  if (write_file("/proc/self/setgroups", "deny") < 0 && errno != ENOENT) return -1;
  char *end = put_uint(line, spec->outer_uid);
  *end++ = ' ';
  end = put_uint(end, spec->outer_uid);
  end = put_str(end, " 1");
  *end = 0;
  if (write_file("/proc/self/uid_map", line) < 0) return -1;
  end = put_uint(line, spec->outer_gid);
  *end++ = ' ';
  end = put_uint(end, spec->outer_gid);
  end = put_str(end, " 1");
  *end = 0;
  return write_file("/proc/self/gid_map", line);
}

static int set_attr(const char *path, unsigned int flags, uint64_t set, uint64_t clear) {
  struct mount_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.attr_set = set;
  attr.attr_clr = clear;
  return (int)syscall(SYS_mount_setattr, AT_FDCWD, path, flags, &attr, sizeof attr);
}

static int clone_tree(const char *path) {
  return (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
}

static int attach(int tree, const char *path) {
  return (int)syscall(SYS_move_mount, tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH);
}

/// mkdir -p of an absolute path, each component in turn; existing ones are fine.
static int make_dirs(const char *path) {
  char buf[4096];
  size_t n = length(path);
  if (n >= sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(buf, path, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (buf[i] == '/' || buf[i] == 0) {
      char saved = buf[i];
      buf[i] = 0;
      if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
        struct stat st;
        if (stat(buf, &st) < 0) return -1;  // read-only but present is fine
      }
      buf[i] = saved;
    }
  }
  return 0;
}

static int bind_read_only(const char *path) {
  if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) return -1;
  return set_attr(path, AT_RECURSIVE, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, 0);
}

static const char *const device_names[] = {"null", "zero", "full", "random", "urandom", "tty", NULL};

static void build_mounts(const struct mish_spawn_spec *spec, int report) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail(report, MISH_STAGE_MOUNT_PRIVATE);
  // Detached copies of what will be placed back over the tmpfs layers, taken before anything is covered.
  int worktree = clone_tree(spec->worktree);
  if (worktree < 0) fail(report, MISH_STAGE_OPEN_TREE);
  int devices[8];
  int device_count = 0;
  for (int i = 0; device_names[i]; i++) {
    char path[32];
    *put_str(put_str(path, "/dev/"), device_names[i]) = 0;
    devices[device_count++] = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  }
  if (set_attr("/", AT_RECURSIVE, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, 0) < 0) fail(report, MISH_STAGE_READ_ONLY_ROOT);

  char options[64];
  *put_str(put_uint(put_str(options, "mode=1777,size="), spec->tmp_bytes), "") = 0;
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, options) < 0) fail(report, MISH_STAGE_TMPFS);
  struct stat st;
  if (stat("/run", &st) == 0 && mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=1m") < 0)
    fail(report, MISH_STAGE_TMPFS);

  if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=1m") < 0) fail(report, MISH_STAGE_DEV);
  for (int i = 0; i < device_count; i++) {
    if (devices[i] < 0) continue;  // a device the host lacks (tty without a terminal) stays absent
    char path[32];
    *put_str(put_str(path, "/dev/"), device_names[i]) = 0;
    int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
    if (fd < 0) fail(report, MISH_STAGE_DEV);
    close(fd);
    if (attach(devices[i], path) < 0) fail(report, MISH_STAGE_DEV);
    close(devices[i]);
  }
  if (mkdir("/dev/shm", 01777) < 0 || mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m") < 0)
    fail(report, MISH_STAGE_DEV);
  mkdir("/dev/pts", 0755);
  if (symlink("/proc/self/fd", "/dev/fd") < 0 || symlink("/proc/self/fd/0", "/dev/stdin") < 0 ||
      symlink("/proc/self/fd/1", "/dev/stdout") < 0 || symlink("/proc/self/fd/2", "/dev/stderr") < 0)
    fail(report, MISH_STAGE_DEV);
  if (set_attr("/dev", 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0) < 0) fail(report, MISH_STAGE_DEV);

  if (make_dirs(spec->worktree) < 0) fail(report, MISH_STAGE_WORKTREE);
  if (attach(worktree, spec->worktree) < 0) fail(report, MISH_STAGE_WORKTREE);
  close(worktree);
  uint64_t worktree_attr = MOUNT_ATTR_NOSUID | ((spec->flags & MISH_SPAWN_WORKTREE_WRITABLE) ? 0 : MOUNT_ATTR_RDONLY);
  if (set_attr(spec->worktree, AT_RECURSIVE, worktree_attr, 0) < 0) fail(report, MISH_STAGE_WORKTREE);
  if (spec->flags & MISH_SPAWN_WORKTREE_WRITABLE)
    for (const char *const *p = spec->protect; p && *p; p++)
      if (lstat(*p, &st) == 0 && !S_ISLNK(st.st_mode) && bind_read_only(*p) < 0) fail(report, MISH_STAGE_PROTECT);

  if (spec->flags & MISH_SPAWN_NEWPID) {
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) fail(report, MISH_STAGE_PROC);
    static const char *const proc_read_only[] = {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", NULL};
    for (int i = 0; proc_read_only[i]; i++)
      if (lstat(proc_read_only[i], &st) == 0 && bind_read_only(proc_read_only[i]) < 0) fail(report, MISH_STAGE_PROC);
  }
}

static void loopback_up(int report) {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) fail(report, MISH_STAGE_LOOPBACK);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, "lo", 3);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) fail(report, MISH_STAGE_LOOPBACK);
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) fail(report, MISH_STAGE_LOOPBACK);
  close(sock);
}

static void drop_capabilities(const struct mish_spawn_spec *spec, int report) {
  for (int cap = 0; cap <= spec->cap_last_cap; cap++)
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) fail(report, MISH_STAGE_CAPS);
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) fail(report, MISH_STAGE_CAPS);
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capset, &header, data) < 0) fail(report, MISH_STAGE_CAPS);
}

static int landlock_rule(int ruleset, const char *path, uint64_t access) {
  int fd = open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  struct landlock_path_beneath_attr rule = {.allowed_access = access, .parent_fd = fd};
  int rc = (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
  int saved = errno;
  close(fd);
  errno = saved;
  return rc;
}

// The ruleset attribute as of Landlock ABI 6; Debian 12's kernel headers stop at ABI 2.
struct mish_landlock_ruleset_attr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

static void apply_landlock(const struct mish_spawn_spec *spec, int report) {
  struct mish_landlock_ruleset_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.handled_access_fs = spec->landlock_fs_handled;
  size_t size = sizeof(uint64_t);
  if (spec->landlock_abi >= 4) {
    attr.handled_access_net = spec->landlock_net_handled;
    size = 2 * sizeof(uint64_t);
  }
  if (spec->landlock_abi >= 6) {
    attr.scoped = spec->landlock_scoped;
    size = sizeof attr;
  }
  int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
  if (ruleset < 0) fail(report, MISH_STAGE_LANDLOCK);
  for (const char *const *p = spec->landlock_full; p && *p; p++)
    if (landlock_rule(ruleset, *p, spec->landlock_fs_handled) < 0) fail(report, MISH_STAGE_LANDLOCK);
  for (const char *const *p = spec->landlock_dev; p && *p; p++)
    if (landlock_rule(ruleset, *p, spec->landlock_dev_access & spec->landlock_fs_handled) < 0) fail(report, MISH_STAGE_LANDLOCK);
  if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0) fail(report, MISH_STAGE_LANDLOCK);
  close(ruleset);
}

static volatile pid_t command_pid = 0;

static void forward_signal(int sig) {
  if (command_pid > 0) kill(-command_pid, sig);
}

static void reset_signals(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < _NSIG; sig++) sigaction(sig, &action, NULL);  // EINVAL for KILL/STOP is fine
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

/// execve, searching PATH like execvp when the file has no '/'.
static void exec_command(const struct mish_spawn_spec *spec) {
  const char *file = spec->file;
  for (const char *c = file; *c; c++)
    if (*c == '/') {
      execve(file, spec->argv, spec->envp);
      return;
    }
  int saved = ENOENT;
  const char *p = spec->search_path ? spec->search_path : "/usr/local/bin:/usr/bin:/bin";
  char buf[4096];
  size_t file_len = length(file);
  while (*p) {
    const char *start = p;
    while (*p && *p != ':') p++;
    size_t dir_len = (size_t)(p - start);
    if (*p == ':') p++;
    if (dir_len == 0 || dir_len + file_len + 2 > sizeof buf) continue;
    memcpy(buf, start, dir_len);
    buf[dir_len] = '/';
    memcpy(buf + dir_len + 1, file, file_len + 1);
    execve(buf, spec->argv, spec->envp);
    if (errno != ENOENT && errno != ENOTDIR) saved = errno;  // keep EACCES and the like over a later ENOENT
  }
  errno = saved;
}

static int move_fd_above(int fd, int floor) {
  if (fd < 0 || fd >= floor) return fd;
  return fcntl(fd, F_DUPFD_CLOEXEC, floor);
}

static void run_command(const struct mish_spawn_spec *spec, int report) {
  reset_signals();
  // Dies with the init, so even without a PID namespace (profile none) the server's death reaches the command.
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (setpgid(0, 0) < 0) fail(report, MISH_STAGE_SETSID);
  if (chdir(spec->cwd) < 0) fail(report, MISH_STAGE_CHDIR);
  int fds[3] = {spec->stdin_fd, spec->stdout_fd, spec->stderr_fd};
  // Lift the sources above 2 first, so one dup2 can never clobber another's source.
  for (int i = 0; i < 3; i++) {
    if (fds[i] < 0) fds[i] = open("/dev/null", (i == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
    fds[i] = move_fd_above(fds[i], 3);
    if (fds[i] < 0) fail(report, MISH_STAGE_DUP);
  }
  for (int i = 0; i < 3; i++)
    if (dup2(fds[i], i) < 0) fail(report, MISH_STAGE_DUP);
  int keep = move_fd_above(report, 3);
  if (keep < 0) fail(report, MISH_STAGE_DUP);
  report = keep;
  // Only 0-2 and the report pipe (CLOEXEC) survive; everything else is closed.
  if (report > 3) syscall(SYS_close_range, 3, report - 1, 0);
  syscall(SYS_close_range, report + 1, ~0U, 0);
  exec_command(spec);
  fail(report, MISH_STAGE_EXEC);
}

/// Closes every fd from 3 up except those in `keep` (at most 16), so the init holds no other command's pipe ends:
/// a write end of some stdin pipe kept open here would keep that command from ever seeing end of input.
static void close_other_fds(int *keep, int count) {
  for (int i = 1; i < count; i++)  // insertion sort; the list is tiny
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
      int t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  unsigned int next = 3;
  for (int i = 0; i < count; i++) {
    if (keep[i] < (int)next) continue;
    if ((unsigned int)keep[i] > next) syscall(SYS_close_range, next, (unsigned int)keep[i] - 1, 0);
    next = (unsigned int)keep[i] + 1;
  }
  syscall(SYS_close_range, next, ~0U, 0);
}

/// The init: sandbox setup for the whole tree, then the command as its child.
static void run_init(const struct mish_spawn_spec *spec, int report) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  int keep[16];
  int kept = 0;
  keep[kept++] = report;
  keep[kept++] = spec->status_fd;
  keep[kept++] = spec->stdin_fd;
  keep[kept++] = spec->stdout_fd;
  keep[kept++] = spec->stderr_fd;
  for (int i = 0; i < spec->cgroup_count && kept < 16; i++) keep[kept++] = spec->cgroup_procs_fds[i];
  close_other_fds(keep, kept);
  for (int i = 0; i < spec->cgroup_count; i++) {
    if (write_all(spec->cgroup_procs_fds[i], "0", 1) < 0) fail(report, MISH_STAGE_CGROUP);
    close(spec->cgroup_procs_fds[i]);
  }
  if ((spec->flags & MISH_SPAWN_NEWUSER) && map_ids(spec) < 0) fail(report, MISH_STAGE_USERNS);
  if (spec->flags & MISH_SPAWN_NEWNS) build_mounts(spec, report);
  if (spec->flags & MISH_SPAWN_NEWNET) loopback_up(report);
  if ((spec->flags & MISH_SPAWN_NEWUTS) && sethostname("mish", 4) < 0) fail(report, MISH_STAGE_HOSTNAME);
  for (int i = 0; i < spec->rlimit_count; i++) {
    struct rlimit limit = {spec->rlimits[i].value, spec->rlimits[i].value};
    if (setrlimit(spec->rlimits[i].resource, &limit) < 0) fail(report, MISH_STAGE_RLIMIT);
  }
  if (setsid() < 0) fail(report, MISH_STAGE_SETSID);
  if (spec->flags & MISH_SPAWN_DROP_CAPS) drop_capabilities(spec, report);
  if ((spec->flags & MISH_SPAWN_NO_NEW_PRIVS) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(report, MISH_STAGE_NO_NEW_PRIVS);
  if (spec->landlock_abi > 0) apply_landlock(spec, report);
  if (spec->bpf_instructions > 0) {
    struct sock_fprog program = {(unsigned short)spec->bpf_instructions, (struct sock_filter *)spec->bpf};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) < 0) fail(report, MISH_STAGE_SECCOMP);
  }

  // Signals that reach the init before the command exists are held, then forwarded.
  sigset_t forwarded;
  sigemptyset(&forwarded);
  int forwarded_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (unsigned i = 0; i < sizeof forwarded_signals / sizeof *forwarded_signals; i++) sigaddset(&forwarded, forwarded_signals[i]);
  sigprocmask(SIG_BLOCK, &forwarded, NULL);
  pid_t child = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (child < 0) fail(report, MISH_STAGE_FORK);
  if (child == 0) run_command(spec, report);
  command_pid = child;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = forward_signal;
  action.sa_flags = SA_RESTART;
  for (unsigned i = 0; i < sizeof forwarded_signals / sizeof *forwarded_signals; i++) sigaction(forwarded_signals[i], &action, NULL);
  // Not the forking thread's mask, which may block some of them (it is inherited from whoever started mish).
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  close(report);
  for (int i = 0; i < 3; i++) {
    int fd = i == 0 ? spec->stdin_fd : i == 1 ? spec->stdout_fd : spec->stderr_fd;
    if (fd >= 0) close(fd);
  }
  int status = 0;
  for (;;) {
    int reaped_status;
    pid_t reaped = wait4(-1, &reaped_status, 0, NULL);
    if (reaped < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (reaped == child) {
      status = reaped_status;
      break;
    }
  }
  int32_t word = status;
  ssize_t ignored = write(spec->status_fd, &word, sizeof word);
  (void)ignored;
  _exit(0);
}

void mish_spawn(const struct mish_spawn_spec *spec, struct mish_spawn_result *result) {
  result->pid = -1;
  result->stage = MISH_STAGE_NONE;
  result->error = 0;
  int report[2];
  if (pipe2(report, O_CLOEXEC) < 0) {
    result->stage = MISH_STAGE_PIPE;
    result->error = errno;
    return;
  }
  unsigned long flags = SIGCHLD;
  if (spec->flags & MISH_SPAWN_NEWUSER) flags |= CLONE_NEWUSER;
  if (spec->flags & MISH_SPAWN_NEWNS) flags |= CLONE_NEWNS;
  if (spec->flags & MISH_SPAWN_NEWPID) flags |= CLONE_NEWPID;
  if (spec->flags & MISH_SPAWN_NEWNET) flags |= CLONE_NEWNET;
  if (spec->flags & MISH_SPAWN_NEWIPC) flags |= CLONE_NEWIPC;
  if (spec->flags & MISH_SPAWN_NEWUTS) flags |= CLONE_NEWUTS;
  // A fork-style clone (no new stack): the child runs on a copy of this stack and only makes raw syscalls.
  pid_t pid = (pid_t)syscall(SYS_clone, flags, 0, 0, 0, 0);
  if (pid < 0) {
    result->stage = MISH_STAGE_CLONE;
    result->error = errno;
    close(report[0]);
    close(report[1]);
    return;
  }
  if (pid == 0) {
    close(report[0]);
    run_init(spec, report[1]);
    _exit(127);
  }
  close(report[1]);
  struct report r = {0, 0};
  ssize_t n;
  do {
    n = read(report[0], &r, sizeof r);
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  result->pid = pid;
  if (n == (ssize_t)sizeof r) {
    result->stage = r.stage;
    result->error = r.error;
  }
}
