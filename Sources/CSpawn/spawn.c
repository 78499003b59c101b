#define _GNU_SOURCE
#include "cspawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <poll.h>
#include <spawn.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static const char *const stage_names[MISH_STAGE_COUNT] = {
  "none", "pipe", "clone", "cgroup", "user namespace", "private mounts", "open_tree", "read-only root",
  "tmpfs", "/dev", "worktree mount", "protected paths", "/proc", "loopback", "hostname", "rlimit", "setsid",
  "capabilities", "no_new_privs", "landlock", "seccomp", "fork", "chdir", "stdio", "exec", "protocol",
  "namespaces",
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

void mish_close_from(int from) {
  if (syscall(SYS_close_range, (unsigned)from, ~0U, 0) == 0) return;
  long max = sysconf(_SC_OPEN_MAX);
  for (long fd = from; fd < (max > 0 ? max : 65536); fd++) close((int)fd);
}

int mish_spawn_closefrom(void *actions, int from) {
  return posix_spawn_file_actions_addclosefrom_np((posix_spawn_file_actions_t *)actions, from);
}

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

int mish_send_message(int socket, const void *bytes, size_t length, const int *fds, int fd_count) {
  if (fd_count < 0 || fd_count > 16) {
    errno = EINVAL;
    return -1;
  }
  struct iovec io = {.iov_base = (void *)bytes, .iov_len = length};
  union {
    char buffer[CMSG_SPACE(16 * sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr message = {.msg_iov = &io, .msg_iovlen = 1};
  if (fd_count > 0) {
    message.msg_control = control.buffer;
    message.msg_controllen = CMSG_SPACE(fd_count * sizeof(int));
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(fd_count * sizeof(int));
    memcpy(CMSG_DATA(header), fds, fd_count * sizeof(int));
  }
  ssize_t sent;
  do {
    sent = sendmsg(socket, &message, MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  return sent == (ssize_t)length ? 0 : -1;
}

ssize_t mish_receive_message(int socket, void *buffer, size_t size, int *fds, int max_fds, int *fd_count, int *truncated) {
  enum { LIMIT = 16 };
  struct iovec io = {.iov_base = buffer, .iov_len = size};
  union {
    char bytes[CMSG_SPACE(LIMIT * sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr message = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = control.bytes, .msg_controllen = sizeof control.bytes};
  ssize_t n;
  do {
    n = recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  *fd_count = 0;
  *truncated = 0;
  if (n < 0) return -1;
  for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
    int count = (int)((header->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    int kept = count < max_fds ? count : max_fds;
    memcpy(fds, CMSG_DATA(header), kept * sizeof(int));
    // More fds than asked for: close the rest rather than leak them.
    for (int i = kept; i < count; i++) close(((int *)CMSG_DATA(header))[i]);
    if (count > kept) *truncated = 1;
    *fd_count = kept;
  }
  if (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) *truncated = 1;
  return n;
}

int mish_receive_reply(int socket, struct mish_reply *reply, int *fd, int timeout_ms) {
  *fd = -1;
  struct pollfd waiting = {.fd = socket, .events = POLLIN};
  int ready;
  do {
    ready = poll(&waiting, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) {
    errno = ETIMEDOUT;
    return -1;
  }
  if (ready < 0) return -1;
  int count = 0, truncated = 0;
  ssize_t n = mish_receive_message(socket, reply, sizeof *reply, fd, 1, &count, &truncated);
  if (n < 0) return -1;
  if (truncated) {
    // The fd did not fit (the server is out of descriptors): the reply cannot be trusted to hold the pidfd.
    if (count > 0) close(*fd);
    *fd = -1;
    errno = EMFILE;
    return -1;
  }
  if (n == 0) {
    errno = ECONNRESET;
    return -1;
  }
  if (n != (ssize_t)sizeof *reply) {
    errno = EPROTO;
    return -1;
  }
  return 0;
}

int mish_seqpacket_pair(int fds[2]) {
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0) return -1;
  int size = 1 << 20;
  for (int i = 0; i < 2; i++) {
    if (setsockopt(fds[i], SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
      setsockopt(fds[i], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
  return 0;
}

pid_t mish_spawn_helper(const char *path, char *const argv[], int socket) {
  posix_spawn_file_actions_t actions;
  if (posix_spawn_file_actions_init(&actions) != 0) return -1;
  // The helper gets nothing of the server's but the socket: its stdio is /dev/null, never the server's protocol
  // stream (a command could otherwise reach it through its init).
  posix_spawn_file_actions_adddup2(&actions, socket, 3);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclosefrom_np(&actions, 4);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &all);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  char *const environment[] = {NULL};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, path, &actions, &attributes, argv, environment);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) {
    errno = rc;
    return -1;
  }
  return pid;
}
