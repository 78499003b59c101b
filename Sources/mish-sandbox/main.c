// mish-sandbox: the zygote that starts sandboxed commands for one mish server and one sandbox profile.
//
// Started by the server with a SOCK_SEQPACKET socket as fd 3 and the server's pid as argv[1]. It reads one setup
// message, joins the cgroups, enters the namespaces and builds the mount view (everything read-only and nosuid;
// private /tmp, /run and /dev; the worktree bound at its own path, writable per profile, with protected paths
// read-only over it), answers, and then serves one command per message until the socket closes. See cspawn.h.
// libc only; single-threaded, so forks are cheap and malloc is safe everywhere.
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
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

enum { SERVER = 3, MAX_LIST = 64, MAX_FDS = 16, MAX_MESSAGE = 1 << 20, MAX_ENTRIES = 16384 };

/// The profile, fixed for the zygote's life.
struct setup {
  uint32_t flags, uid, gid;
  uint64_t tmp_bytes;
  int cap_last_cap;
  int landlock_abi;
  uint64_t landlock_fs, landlock_net, landlock_scoped, landlock_dev_access;
  struct mish_rlimit { int resource; uint64_t value; } rlimits[16];
  int rlimit_count;
  const char *worktree;
  const char *protect[MAX_LIST + 1], *landlock_full[MAX_LIST + 1], *landlock_dev[MAX_LIST + 1], *reveal[MAX_LIST + 1];
  int protect_count, landlock_full_count, landlock_dev_count, reveal_count;
  const void *bpf;
  uint32_t bpf_length;
};

/// One command.
struct command {
  const char *file, *search_path, *cwd;
  const char **argv, **envp;
  int stdin_fd, stdout_fd, stderr_fd, status_fd;
};

static struct setup setup;

/// Reports (stage, errno) on `fd` — the server socket during setup, the init's report pipe later — and exits.
static void fail(int fd, int stage) {
  struct mish_reply reply = {0, stage, errno};
  ssize_t ignored = write(fd, &reply, sizeof reply);
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


// ---- Messages ----

/// Receives one message and its fds from `socket`; returns its length (0 at end of input), -1 with EMSGSIZE when
/// it did not fit.
static ssize_t receive(int socket, char *buffer, size_t size, int *fds, int *fd_count) {
  int truncated = 0;
  ssize_t n = mish_receive_message(socket, buffer, size, fds, MAX_FDS, fd_count, &truncated);
  if (n > 0 && truncated) {
    errno = EMSGSIZE;
    return -1;
  }
  return n;
}

/// Walks the records of a message: calls `take(tag, bytes, length)` for each; -1 on a malformed one.
static int parse(char *buffer, size_t size, int (*take)(uint32_t, char *, uint32_t, void *), void *context) {
  size_t at = 0;
  while (at + 8 <= size) {
    uint32_t tag, length;
    memcpy(&tag, buffer + at, 4);
    memcpy(&length, buffer + at + 4, 4);
    at += 8;
    if (length > size - at) return -1;
    if (take(tag, buffer + at, length, context) < 0) return -1;
    at += length;
  }
  return at == size ? 0 : -1;
}

/// A string record: NUL-terminated in place (the sender includes the NUL).
static const char *string_of(char *bytes, uint32_t length) {
  return length > 0 && bytes[length - 1] == 0 ? bytes : NULL;
}

static uint64_t number_of(const char *bytes, uint32_t length) {
  uint64_t value = 0;
  memcpy(&value, bytes, length < 8 ? length : 8);
  return value;
}

static int add_to(const char **list, int *count, const char *value) {
  if (!value || *count >= MAX_LIST) return -1;
  list[(*count)++] = value;
  list[*count] = NULL;
  return 0;
}

static int take_setup(uint32_t tag, char *bytes, uint32_t length, void *context) {
  (void)context;
  switch (tag) {
  case MISH_TAG_FLAGS: setup.flags = (uint32_t)number_of(bytes, length); return 0;
  case MISH_TAG_UID: setup.uid = (uint32_t)number_of(bytes, length); return 0;
  case MISH_TAG_GID: setup.gid = (uint32_t)number_of(bytes, length); return 0;
  case MISH_TAG_TMP_BYTES: setup.tmp_bytes = number_of(bytes, length); return 0;
  case MISH_TAG_CAP_LAST_CAP: setup.cap_last_cap = (int)number_of(bytes, length); return 0;
  case MISH_TAG_LANDLOCK_ABI: setup.landlock_abi = (int)number_of(bytes, length); return 0;
  case MISH_TAG_LANDLOCK_FS: setup.landlock_fs = number_of(bytes, length); return 0;
  case MISH_TAG_LANDLOCK_NET: setup.landlock_net = number_of(bytes, length); return 0;
  case MISH_TAG_LANDLOCK_SCOPED: setup.landlock_scoped = number_of(bytes, length); return 0;
  case MISH_TAG_LANDLOCK_DEV_ACCESS: setup.landlock_dev_access = number_of(bytes, length); return 0;
  case MISH_TAG_RLIMIT:
    if (length != 12 || setup.rlimit_count >= 16) return -1;
    memcpy(&setup.rlimits[setup.rlimit_count].resource, bytes, 4);
    memcpy(&setup.rlimits[setup.rlimit_count].value, bytes + 4, 8);
    setup.rlimit_count++;
    return 0;
  case MISH_TAG_WORKTREE: setup.worktree = string_of(bytes, length); return setup.worktree ? 0 : -1;
  case MISH_TAG_PROTECT: return add_to(setup.protect, &setup.protect_count, string_of(bytes, length));
  case MISH_TAG_LANDLOCK_FULL: return add_to(setup.landlock_full, &setup.landlock_full_count, string_of(bytes, length));
  case MISH_TAG_LANDLOCK_DEV: return add_to(setup.landlock_dev, &setup.landlock_dev_count, string_of(bytes, length));
  case MISH_TAG_REVEAL: return add_to(setup.reveal, &setup.reveal_count, string_of(bytes, length));
  case MISH_TAG_BPF:
    if (length % 8 != 0) return -1;
    setup.bpf = bytes;
    setup.bpf_length = length;
    return 0;
  default: return -1;
  }
}

struct command_parse {
  struct command *command;
  int argc, envc;
};

static int take_command(uint32_t tag, char *bytes, uint32_t length, void *context) {
  struct command_parse *parse = context;
  const char *value = string_of(bytes, length);
  if (!value) return -1;
  switch (tag) {
  case MISH_TAG_FILE: parse->command->file = value; return 0;
  case MISH_TAG_SEARCH_PATH: parse->command->search_path = value; return 0;
  case MISH_TAG_CWD: parse->command->cwd = value; return 0;
  case MISH_TAG_ARG:
    if (parse->argc >= MAX_ENTRIES) return -1;
    parse->command->argv[parse->argc++] = value;
    return 0;
  case MISH_TAG_ENV:
    if (parse->envc >= MAX_ENTRIES) return -1;
    parse->command->envp[parse->envc++] = value;
    return 0;
  default: return -1;
  }
}

// ---- The zygote's one-time setup ----

static int map_ids(void) {
  char line[64];
  if (write_file("/proc/self/setgroups", "deny") < 0 && errno != ENOENT) return -1;
  char *end = put_uint(line, setup.uid);
  *end++ = ' ';
  end = put_uint(end, setup.uid);
  end = put_str(end, " 1");
  *end = 0;
  if (write_file("/proc/self/uid_map", line) < 0) return -1;
  end = put_uint(line, setup.gid);
  *end++ = ' ';
  end = put_uint(end, setup.gid);
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



/// The read-only view: everything read-only and nosuid, then tmpfs on /tmp, /run and /dev (the usual devices
/// bound in), the revealed directories placed back read-only over those (a linked worktree's git directories under
/// /tmp), the worktree bound at its own path (writable per profile) with the protected paths read-only on top.
static void build_mounts(void) {
  int report = SERVER;
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) fail(report, MISH_STAGE_MOUNT_PRIVATE);
  // Detached copies of what will be placed back over the tmpfs layers, taken before anything is covered.
  int worktree = clone_tree(setup.worktree);
  if (worktree < 0) fail(report, MISH_STAGE_OPEN_TREE);
  int revealed[MAX_LIST];
  for (int i = 0; i < setup.reveal_count; i++)
    if ((revealed[i] = clone_tree(setup.reveal[i])) < 0) fail(report, MISH_STAGE_OPEN_TREE);
  int devices[8];
  int device_count = 0;
  for (int i = 0; device_names[i]; i++) {
    char path[32];
    *put_str(put_str(path, "/dev/"), device_names[i]) = 0;
    devices[device_count++] = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  }
  if (set_attr("/", AT_RECURSIVE, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, 0) < 0) fail(report, MISH_STAGE_READ_ONLY_ROOT);

  char options[64];
  *put_uint(put_str(options, "mode=1777,size="), setup.tmp_bytes) = 0;
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, options) < 0) fail(report, MISH_STAGE_TMPFS);
  struct stat st;
  if (stat("/run", &st) == 0 && mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=1m") < 0)
    fail(report, MISH_STAGE_TMPFS);
  for (int i = 0; i < setup.reveal_count; i++) {
    if (make_dirs(setup.reveal[i]) < 0 || attach(revealed[i], setup.reveal[i]) < 0) fail(report, MISH_STAGE_TMPFS);
    close(revealed[i]);
    if (set_attr(setup.reveal[i], AT_RECURSIVE, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID, 0) < 0) fail(report, MISH_STAGE_TMPFS);
  }

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

  if (make_dirs(setup.worktree) < 0) fail(report, MISH_STAGE_WORKTREE);
  if (attach(worktree, setup.worktree) < 0) fail(report, MISH_STAGE_WORKTREE);
  close(worktree);
  uint64_t worktree_attr = MOUNT_ATTR_NOSUID | ((setup.flags & MISH_SPAWN_WORKTREE_WRITABLE) ? 0 : MOUNT_ATTR_RDONLY);
  if (set_attr(setup.worktree, AT_RECURSIVE, worktree_attr, 0) < 0) fail(report, MISH_STAGE_WORKTREE);
  if (setup.flags & MISH_SPAWN_WORKTREE_WRITABLE)
    for (int i = 0; i < setup.protect_count; i++)
      if (lstat(setup.protect[i], &st) == 0 && !S_ISLNK(st.st_mode) && bind_read_only(setup.protect[i]) < 0)
        fail(report, MISH_STAGE_PROTECT);
}

static void loopback_up(void) {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) fail(SERVER, MISH_STAGE_LOOPBACK);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, "lo", 3);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) fail(SERVER, MISH_STAGE_LOOPBACK);
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) fail(SERVER, MISH_STAGE_LOOPBACK);
  close(sock);
}

// ---- Each command's init ----

static void drop_capabilities(int report) {
  for (int cap = 0; cap <= setup.cap_last_cap; cap++)
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

static void apply_landlock(int report) {
  struct mish_landlock_ruleset_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.handled_access_fs = setup.landlock_fs;
  size_t size = sizeof(uint64_t);
  if (setup.landlock_abi >= 4) {
    attr.handled_access_net = setup.landlock_net;
    size = 2 * sizeof(uint64_t);
  }
  if (setup.landlock_abi >= 6) {
    attr.scoped = setup.landlock_scoped;
    size = sizeof attr;
  }
  int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
  if (ruleset < 0) fail(report, MISH_STAGE_LANDLOCK);
  for (int i = 0; i < setup.landlock_full_count; i++)
    if (landlock_rule(ruleset, setup.landlock_full[i], setup.landlock_fs) < 0) fail(report, MISH_STAGE_LANDLOCK);
  for (int i = 0; i < setup.landlock_dev_count; i++)
    if (landlock_rule(ruleset, setup.landlock_dev[i], setup.landlock_dev_access & setup.landlock_fs) < 0)
      fail(report, MISH_STAGE_LANDLOCK);
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
static void exec_command(const struct command *spec) {
  const char *file = spec->file;
  for (const char *c = file; *c; c++)
    if (*c == '/') {
      execve(file, (char *const *)spec->argv, (char *const *)spec->envp);
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
    execve(buf, (char *const *)spec->argv, (char *const *)spec->envp);
    if (errno != ENOENT && errno != ENOTDIR) saved = errno;  // keep EACCES and the like over a later ENOENT
  }
  errno = saved;
}

static int move_fd_above(int fd, int floor) {
  if (fd < 0 || fd >= floor) return fd;
  return fcntl(fd, F_DUPFD_CLOEXEC, floor);
}

static void run_command(const struct command *command, int report) {
  reset_signals();
  // Dies with its init, so even without a PID namespace (profile none) the server's death reaches the command.
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (setpgid(0, 0) < 0) fail(report, MISH_STAGE_SETSID);
  if (chdir(command->cwd) < 0) fail(report, MISH_STAGE_CHDIR);
  int fds[3] = {command->stdin_fd, command->stdout_fd, command->stderr_fd};
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
  exec_command(command);
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

struct command_start {
  const struct command *command;
  int report;
};

static char command_stack[256 * 1024] __attribute__((aligned(16)));

static int start_command(void *argument) {
  struct command_start *start = argument;
  run_command(start->command, start->report);
  return 127;
}

/// The command's init, once its command has arrived (the sandbox is already in place): the command as its child,
/// signals forwarded to it, orphans reaped, its status reported.
static void run_init(const struct command *command, int report) {
  // Signals that reach the init before the command exists are held, then forwarded.
  sigset_t forwarded;
  sigemptyset(&forwarded);
  int forwarded_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (unsigned i = 0; i < sizeof forwarded_signals / sizeof *forwarded_signals; i++) sigaddset(&forwarded, forwarded_signals[i]);
  sigprocmask(SIG_BLOCK, &forwarded, NULL);
  // vfork-style: the command borrows the init's memory (on its own stack) until it execs, so no page tables are
  // copied; the init waits meanwhile. The command only makes syscalls and never returns.
  struct command_start start = {command, report};
  pid_t child = clone(start_command, command_stack + sizeof command_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
  if (child < 0) fail(report, MISH_STAGE_FORK);
  command_pid = child;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = forward_signal;
  action.sa_flags = SA_RESTART;
  for (unsigned i = 0; i < sizeof forwarded_signals / sizeof *forwarded_signals; i++) sigaction(forwarded_signals[i], &action, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  close(report);
  int stdio[] = {command->stdin_fd, command->stdout_fd, command->stderr_fd};
  for (int i = 0; i < 3; i++)
    if (stdio[i] >= 0) close(stdio[i]);
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
  ssize_t ignored = write(command->status_fd, &word, sizeof word);
  (void)ignored;
  _exit(0);
}

/// A pre-forked init, waiting on `channel` for its command: the clone into new PID and mount namespaces and the
/// fresh /proc are done before the command arrives, off its critical path.
static struct {
  pid_t pid;
  int pidfd;
  int channel;
  int report;
} warm = {-1, -1, -1, -1};

/// What every command's init does, before its command is known: a session, the rlimits, every capability
/// dropped, NO_NEW_PRIVS, Landlock, and the seccomp filter last.
static void confine(int report) {
  for (int i = 0; i < setup.rlimit_count; i++) {
    struct rlimit limit = {setup.rlimits[i].value, setup.rlimits[i].value};
    if (setrlimit(setup.rlimits[i].resource, &limit) < 0) fail(report, MISH_STAGE_RLIMIT);
  }
  if (setsid() < 0) fail(report, MISH_STAGE_SETSID);
  if (setup.flags & MISH_SPAWN_DROP_CAPS) drop_capabilities(report);
  if ((setup.flags & MISH_SPAWN_NO_NEW_PRIVS) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(report, MISH_STAGE_NO_NEW_PRIVS);
  if (setup.landlock_abi > 0) apply_landlock(report);
  if (setup.bpf_length > 0) {
    struct sock_fprog program = {(unsigned short)(setup.bpf_length / 8), (struct sock_filter *)setup.bpf};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) < 0) fail(report, MISH_STAGE_SECCOMP);
  }
}

/// The warm init: in its own PID and mount namespaces, /proc mounted and the whole sandbox applied (`confine`), it
/// waits for one command (its records, then fds stdin, stdout, stderr, status) and becomes that command's init. A
/// failure goes to the report pipe, which the zygote reads when it hands over a command.
static void warm_init(int channel, int report) {
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  signal(SIGCHLD, SIG_DFL);
  int keep[] = {channel, report};
  close_other_fds(keep, 2);
  if (setup.flags & MISH_SPAWN_NEWPID) {
    struct stat st;
    static const char *const proc_read_only[] = {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", NULL};
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) fail(report, MISH_STAGE_PROC);
    for (int i = 0; proc_read_only[i]; i++)
      if (lstat(proc_read_only[i], &st) == 0 && bind_read_only(proc_read_only[i]) < 0) fail(report, MISH_STAGE_PROC);
  }
  confine(report);
  // Not dumpable: the command (same uid, same Landlock domain) must not reach the init's fds or memory through
  // /proc/1. The flag belongs to the memory map, so the command's execve sets it back for itself.
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) fail(report, MISH_STAGE_CAPS);
  static char message[MAX_MESSAGE];
  int fds[MAX_FDS];
  int fd_count = 0;
  ssize_t size = receive(channel, message, sizeof message, fds, &fd_count);
  if (size <= 0 || fd_count != 4) _exit(0);  // retired, or a stray message: nothing to answer
  close(channel);
  static const char *argv[MAX_ENTRIES + 1], *envp[MAX_ENTRIES + 1];
  struct command command = {.argv = argv, .envp = envp};
  struct command_parse context = {&command, 0, 0};
  if (parse(message, (size_t)size, take_command, &context) < 0 || !command.file || !command.cwd ||
      context.argc == 0) {
    errno = EPROTO;
    fail(report, MISH_STAGE_PROTOCOL);
  }
  argv[context.argc] = NULL;
  envp[context.envc] = NULL;
  command.stdin_fd = fds[0];
  command.stdout_fd = fds[1];
  command.stderr_fd = fds[2];
  command.status_fd = fds[3];
  run_init(&command, report);
  _exit(127);
}

/// Forks the next warm init (the pidfd comes with the clone, so the init is held even if it ends at once).
static int prefork(void) {
  int pair[2], report[2];
  if (mish_seqpacket_pair(pair) < 0) return -1;
  if (pipe2(report, O_CLOEXEC) < 0) {
    close(pair[0]);
    close(pair[1]);
    return -1;
  }
  unsigned long flags = SIGCHLD | CLONE_PIDFD;
  if (setup.flags & MISH_SPAWN_NEWPID) flags |= CLONE_NEWPID | CLONE_NEWNS;
  int pidfd = -1;
  pid_t pid = (pid_t)syscall(SYS_clone, flags, 0, &pidfd, 0, 0);
  if (pid == 0) {
    close(pair[0]);
    close(report[0]);
    warm_init(pair[1], report[1]);
    _exit(127);
  }
  int saved = errno;
  close(pair[1]);
  close(report[1]);
  if (pid < 0) {
    close(pair[0]);
    close(report[0]);
    errno = saved;
    return -1;
  }
  warm.pid = pid;
  warm.pidfd = pidfd;
  warm.channel = pair[0];
  warm.report = report[0];
  return 0;
}

static void discard_warm(void) {
  if (warm.channel >= 0) close(warm.channel);
  if (warm.pidfd >= 0) close(warm.pidfd);
  if (warm.report >= 0) close(warm.report);
  warm.pid = warm.pidfd = warm.channel = warm.report = -1;
}

/// Hands one command to the warm init, waits until it has been exec'd (the report pipe closes) or setup failed,
/// answers the server with the init's pid and pidfd, and forks the next warm init.
static void spawn(char *buffer, size_t size, int *fds, int fd_count) {
  struct mish_reply reply = {0, MISH_STAGE_PROTOCOL, EPROTO};
  if (fd_count == 4) {
    int sent = -1;
    for (int attempt = 0; attempt < 2 && sent < 0; attempt++) {
      if (warm.pid < 0 && prefork() < 0) {
        reply.stage = MISH_STAGE_CLONE;
        reply.error = errno;
        break;
      }
      sent = mish_send_message(warm.channel, buffer, size, fds, 4);
      if (sent < 0 && errno != EPIPE && errno != ECONNRESET && errno != ECONNREFUSED) {
        // The warm init is fine; the message is not (too large for the socket): say so and keep the init.
        reply.stage = MISH_STAGE_PROTOCOL;
        reply.error = errno == EMSGSIZE || errno == ENOBUFS ? E2BIG : errno;
        break;
      }
      if (sent < 0) {
        // It ended before its command came: a setup failure is in its report pipe; else fork another.
        struct mish_reply failed = {0, 0, 0};
        int failed_setup = read(warm.report, &failed, sizeof failed) == (ssize_t)sizeof failed;
        discard_warm();
        if (failed_setup) {
          reply.stage = failed.stage;
          reply.error = failed.error;
          break;
        }
      }
    }
    if (sent == 0) {
      struct mish_reply failed = {0, 0, 0};
      ssize_t n;
      do {
        n = read(warm.report, &failed, sizeof failed);
      } while (n < 0 && errno == EINTR);
      reply.pid = warm.pid;
      reply.stage = n == (ssize_t)sizeof failed ? failed.stage : MISH_STAGE_NONE;
      reply.error = n == (ssize_t)sizeof failed ? failed.error : 0;
    }
  }
  for (int i = 0; i < fd_count; i++) close(fds[i]);
  if (reply.stage == MISH_STAGE_NONE && reply.pid > 0) {
    mish_send_message(SERVER, &reply, sizeof reply, &warm.pidfd, 1);
  } else {
    ssize_t ignored = send(SERVER, &reply, sizeof reply, MSG_NOSIGNAL);
    (void)ignored;
  }
  if (reply.pid > 0) discard_warm();
  if (warm.pid < 0) prefork();
}

int main(int argc, char **argv) {
  // Die with the server; if it is already gone, do not start.
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (argc < 2 || getppid() != (pid_t)atoi(argv[1])) return 127;
  syscall(SYS_close_range, SERVER + 1, ~0U, 0);
  // Children (the commands' inits) are reaped by the kernel; the server learns of their end through pidfds.
  struct sigaction ignore = {.sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT};
  sigaction(SIGCHLD, &ignore, NULL);
  signal(SIGPIPE, SIG_IGN);  // a closed socket is an error to handle, not a death (commands reset it)

  static char setup_message[MAX_MESSAGE];
  int fds[MAX_FDS];
  int fd_count = 0;
  ssize_t size = receive(SERVER, setup_message, sizeof setup_message, fds, &fd_count);
  if (size <= 0) fail(SERVER, MISH_STAGE_PROTOCOL);
  if (parse(setup_message, (size_t)size, take_setup, NULL) < 0 || !setup.worktree) {
    errno = EPROTO;
    fail(SERVER, MISH_STAGE_PROTOCOL);
  }
  // The cgroups first: every command inherits them, so no command pays for a migration.
  for (int i = 0; i < fd_count; i++) {
    if (write_all(fds[i], "0", 1) < 0) fail(SERVER, MISH_STAGE_CGROUP);
    close(fds[i]);
  }
  if ((setup.flags & MISH_SPAWN_NEWUSER) && (unshare(CLONE_NEWUSER) < 0 || map_ids() < 0)) fail(SERVER, MISH_STAGE_USERNS);
  int namespaces = 0;
  if (setup.flags & MISH_SPAWN_NEWNS) namespaces |= CLONE_NEWNS;
  if (setup.flags & MISH_SPAWN_NEWNET) namespaces |= CLONE_NEWNET;
  if (setup.flags & MISH_SPAWN_NEWIPC) namespaces |= CLONE_NEWIPC;
  if (setup.flags & MISH_SPAWN_NEWUTS) namespaces |= CLONE_NEWUTS;
  if (namespaces && unshare(namespaces) < 0) fail(SERVER, MISH_STAGE_NAMESPACES);
  if (setup.flags & MISH_SPAWN_NEWNS) build_mounts();
  if (setup.flags & MISH_SPAWN_NEWNET) loopback_up();
  if ((setup.flags & MISH_SPAWN_NEWUTS) && sethostname("mish", 4) < 0) fail(SERVER, MISH_STAGE_HOSTNAME);
  if (chdir("/") < 0) fail(SERVER, MISH_STAGE_CHDIR);
  struct mish_reply ready = {getpid(), MISH_STAGE_NONE, 0};
  if (send(SERVER, &ready, sizeof ready, MSG_NOSIGNAL) != (ssize_t)sizeof ready) return 1;
  prefork();

  static char message[MAX_MESSAGE];
  for (;;) {
    size = receive(SERVER, message, sizeof message, fds, &fd_count);
    if (size == 0) {
      // The server closed its end (it is retiring this zygote): let the running commands finish first, since
      // the zygote's exit would kill them (their inits die with it). The warm init ends when its channel closes.
      discard_warm();
      while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
      }
      return 0;
    }
    if (size < 0) {
      if (errno == EMSGSIZE) {
        for (int i = 0; i < fd_count; i++) close(fds[i]);
        struct mish_reply too_big = {0, MISH_STAGE_PROTOCOL, E2BIG};
        ssize_t ignored = send(SERVER, &too_big, sizeof too_big, MSG_NOSIGNAL);
        (void)ignored;
        continue;
      }
      return 1;
    }
    spawn(message, (size_t)size, fds, fd_count);
  }
}
