#define _GNU_SOURCE
#include "cmishsys.h"
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fcntl.h>

const int mish_O_PATH = O_PATH;
const int mish_O_TMPFILE = O_TMPFILE;

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

int mish_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = flags;
  how.mode = mode;
  how.resolve = resolve;
  return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

int mish_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags) {
  return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath, flags);
}

ssize_t mish_fd_path(int fd, char *buf, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, buf, size);
  return n;
}

size_t mish_count_byte(const void *bytes, size_t count, unsigned char byte) {
  const unsigned char *p = bytes, *end = p + count;
  size_t n = 0;
  while ((p = memchr(p, byte, (size_t)(end - p))) != NULL) {
    n++;
    p++;
  }
  return n;
}
