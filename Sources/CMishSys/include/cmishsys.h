#ifndef CMISHSYS_H
#define CMISHSYS_H
// libc-only shims for syscalls that Glibc does not wrap. Each returns what the kernel returns (-1 and errno on failure).
#include <sys/types.h>
#include <stdint.h>

/// Flags for `mish_openat2`'s `resolve` argument (the kernel's RESOLVE_* values).
enum {
  MISH_RESOLVE_NO_XDEV = 0x01,
  MISH_RESOLVE_NO_MAGICLINKS = 0x02,
  MISH_RESOLVE_NO_SYMLINKS = 0x04,
  MISH_RESOLVE_BENEATH = 0x08,
  MISH_RESOLVE_IN_ROOT = 0x10,
};

/// Open flags Glibc only defines under _GNU_SOURCE, which Swift's importer does not set.
extern const int mish_O_PATH;
extern const int mish_O_TMPFILE;

/// openat2(2): open `path` relative to `dirfd` with the kernel resolving it under `resolve` rules.
int mish_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);

/// renameat2(2) with flags (RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2).
int mish_renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags);

/// Reads the path the kernel holds for an open fd (via /proc/self/fd) into buf; returns length or -1.
ssize_t mish_fd_path(int fd, char *buf, size_t size);

/// How many times `byte` occurs in `bytes[0..<count]` (memchr speed, even in debug builds): line counting for
/// command output that can run to gigabytes.
size_t mish_count_byte(const void *bytes, size_t count, unsigned char byte);

#endif
