/* workfloor — the work floor for the round-trip benchmark.
 *
 * Answers MCP `tools/call fs_read {"path":…}` the way `mish serve` does, with the same work per request and a
 * byte-identical reply, and nothing else: openat2 beneath the root fd (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
 * RESOLVE_NO_SYMLINKS), fstat, read, close; SHA-256 through libcrypto's EVP_Digest; binary detection (a NUL in the
 * first 8000 bytes), the line window (start_line 1, 2000 lines, 100,000 bytes), the line-ending kind and UTF-8
 * validity; then the reply: the `cat -n` numbered text item with its status line, `structuredContent`, `isError`,
 * escaped as mish's JSONWriter escapes. Nothing is cached across requests. So mish's time minus this one's is
 * mish's own overhead (JSON parsing, dispatch, threads, its data structures), not the work.
 *
 * What it deliberately skips: JSON is not parsed (the id is found with jscan_top; the path is the first
 * `"path":"` after `"arguments":`, and a path holding an escape is refused); only the default window (a request
 * naming start_line, limit_lines or max_bytes is refused); only tidy relative paths (no leading or trailing slash,
 * no "." or ".." component, no "//": mish would tidy those first); no symlinks at all (mish follows one that stays
 * inside the root and reports where it led: here ELOOP is an error); the MCP per-request protocol version (mish's
 * "resultType"); ids are copied as they came (mish re-encodes them: the same bytes for integer ids); mish's own
 * error replies (a missing file, a directory) are not reproduced. Every refused or failed call gets a JSON-RPC
 * error instead, which rtclient rejects, so a refusal never passes for a fast reply. Any other request
 * (initialize, which is all rtclient --init needs) gets an empty result carrying its id, as floor.c answers
 * everything; notifications get nothing.
 *
 *   workfloor ROOT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jsonscan.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define READ_LINES 2000          /* mish's defaults (Sources/MishFiles/Tools/Read.swift) */
#define READ_BYTES 100000
#define BINARY_PREFIX 8000       /* TextFacts.isBinary */
#define MAX_FILE_BYTES (512L << 20) /* FileStore.maxFileBytes */

static void write_all(const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) exit(0);
    s += w;
    n -= (size_t)w;
  }
}

/* ---- the output buffer -------------------------------------------------------------------------------------- */

static char *out = NULL;
static size_t out_cap = 0, out_len = 0;

static void reserve(size_t extra) {
  if (out_len + extra <= out_cap) return;
  out_cap = (out_len + extra) * 2;
  out = realloc(out, out_cap);
  if (!out) {
    fputs("workfloor: out of memory\n", stderr);
    exit(1);
  }
}

static void put(const void *s, size_t n) {
  reserve(n);
  memcpy(out + out_len, s, n);
  out_len += n;
}

#define PUT_LIT(s) put(s, sizeof s - 1)

static void put_uint(unsigned long v) {
  char digits[24];
  int i = sizeof digits;
  do digits[--i] = (char)('0' + v % 10);
  while (v /= 10);
  put(digits + i, sizeof digits - (size_t)i);
}

/* ---- JSON string escaping, as Sources/MishJSON/JSONWriter.swift does it ------------------------------------- */

/* For each byte, the letter after the backslash ('u' for \u00XX), or 0 when it stands as is. */
static unsigned char escape_letter[256];

static void init_escapes(void) {
  for (int b = 0; b < 0x20; b++) escape_letter[b] = 'u';
  escape_letter['"'] = '"';
  escape_letter['\\'] = '\\';
  escape_letter['\n'] = 'n';
  escape_letter['\r'] = 'r';
  escape_letter['\t'] = 't';
}

/* The high bit of each byte of the word that is below 0x20, a quote or a backslash (the lowest flag is exact). */
static inline uint64_t escape_mask(uint64_t w) {
  const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
  uint64_t q = w ^ (ones * 0x22), b = w ^ (ones * 0x5C);
  return ((w - ones * 0x20) & ~w & highs) | ((q - ones) & ~q & highs) | ((b - ones) & ~b & highs);
}

/* Appends s[0..n) escaped (without quotes): \" \\ \n \r \t, other bytes below 0x20 as \u00xx, the rest raw. */
static void put_escaped(const unsigned char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  reserve(n * 6 + 8);
  char *o = out + out_len;
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      memcpy(o, &w, 8); /* the room makes the over-copy harmless */
      uint64_t m = escape_mask(w);
      if (!m) {
        o += 8, i += 8;
        continue;
      }
      size_t clean = (size_t)__builtin_ctzll(m) >> 3;
      o += clean, i += clean;
    }
    unsigned char c = s[i++];
    unsigned char letter = escape_letter[c];
    if (!letter) {
      *o++ = (char)c;
    } else if (letter != 'u') {
      *o++ = '\\', *o++ = (char)letter;
    } else {
      *o++ = '\\', *o++ = 'u', *o++ = '0', *o++ = '0', *o++ = hex[c >> 4], *o++ = hex[c & 15];
    }
  }
  out_len = (size_t)(o - out);
}

/* ---- UTF-8: validity, and Swift's repair (each maximal invalid subpart becomes one U+FFFD) -------------------- */

/* Length of the well-formed sequence at s[i] (1–4), or 0 with *bad set to the length of its maximal subpart. */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t i, size_t *bad) {
  unsigned char c = s[i];
  if (c < 0x80) return 1;
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) need = 1;
  else if (c == 0xE0) need = 2, lo = 0xA0;
  else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) need = 2;
  else if (c == 0xED) need = 2, hi = 0x9F;
  else if (c == 0xF0) need = 3, lo = 0x90;
  else if (c >= 0xF1 && c <= 0xF3) need = 3;
  else if (c == 0xF4) need = 3, hi = 0x8F;
  else {
    *bad = 1;
    return 0;
  }
  size_t k = 1;
  for (; k <= need; k++) {
    if (i + k >= n) break;
    unsigned char t = s[i + k];
    if (t < lo || t > hi) break;
    lo = 0x80, hi = 0xBF; /* only the second byte has a narrower range */
  }
  if (k > need) return need + 1;
  *bad = k;
  return 0;
}

static int utf8_valid(const unsigned char *s, size_t n) {
  size_t i = 0, bad;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if (!(w & 0x8080808080808080ULL)) {
        i += 8;
        continue;
      }
    }
    size_t len = utf8_seq(s, n, i, &bad);
    if (!len) return 0;
    i += len;
  }
  return 1;
}

/* s[0..n) with invalid sequences replaced, into a new buffer (up to 3 bytes per input byte); returns its length. */
static size_t utf8_repair(const unsigned char *s, size_t n, unsigned char **repaired) {
  unsigned char *r = malloc(n * 3 + 1);
  size_t o = 0, i = 0, bad;
  while (i < n) {
    size_t len = utf8_seq(s, n, i, &bad);
    if (len) {
      memcpy(r + o, s + i, len);
      o += len, i += len;
    } else {
      r[o++] = 0xEF, r[o++] = 0xBF, r[o++] = 0xBD;
      i += bad;
    }
  }
  *repaired = r;
  return o;
}

/* ---- the line window and line endings (LineWindow.select, detectEOL) ----------------------------------------- */

typedef struct {
  size_t start, end;
  long first_line, last_line, total_lines;
  int truncated;
  size_t cut_line_bytes; /* the whole length of a line cut at max_bytes, or 0 */
  const char *eol;
} window;

/* One pass over the lines: the window for start_line 1 and the line-ending kind of the whole file. */
static void select_window(const unsigned char *b, size_t count, window *w) {
  const long start_line = 1, limit_lines = READ_LINES;
  const size_t max_bytes = READ_BYTES;
  int saw_crlf = 0, saw_lf = 0;
  w->first_line = start_line;
  w->truncated = 0;
  w->cut_line_bytes = 0;
  w->total_lines = 0;
  if (count == 0) {
    w->start = w->end = 0;
    w->last_line = 0;
    w->eol = "none";
    return;
  }
  size_t offset = 0, start = count, end = count;
  long line = 1, last_line = start_line - 1;
  int truncated = 0;
  if (start_line == 1) start = 0;
  while (offset < count) {
    const unsigned char *hit = memchr(b + offset, '\n', count - offset);
    size_t next = hit ? (size_t)(hit - b) + 1 : count;
    if (hit) {
      if (hit > b && hit[-1] == '\r') saw_crlf = 1;
      else saw_lf = 1;
    }
    w->total_lines++;
    if (line == start_line) start = offset;
    if (line >= start_line && start < count && end == count && !truncated) {
      long taken = line - start_line + 1;
      if (taken > limit_lines) {
        end = offset;
        truncated = 1;
      } else if (next - start > max_bytes) {
        if (line == start_line) { /* one line longer than max_bytes: cut it at a UTF-8 boundary */
          size_t cut = start + max_bytes;
          while (cut > start && (b[cut] & 0xC0) == 0x80) cut--;
          end = cut;
          last_line = line;
          w->cut_line_bytes = next - start;
        } else {
          end = offset;
        }
        truncated = 1;
      } else {
        last_line = line;
      }
    }
    offset = next;
    line++;
  }
  w->eol = saw_crlf && saw_lf ? "mixed" : saw_crlf ? "crlf" : saw_lf ? "lf" : "none";
  if (start == count) {
    w->start = w->end = count;
    w->last_line = start_line - 1;
    return;
  }
  w->start = start;
  w->end = end;
  w->last_line = last_line;
  w->truncated = truncated;
}

/* ---- the reply ---------------------------------------------------------------------------------------------- */

static void put_head(const char *id, size_t id_len) {
  PUT_LIT("{\"jsonrpc\":\"2.0\",\"id\":");
  put(id, id_len);
}

static void reply_error(const char *id, size_t id_len, const char *message) {
  out_len = 0;
  put_head(id, id_len);
  PUT_LIT(",\"error\":{\"code\":-32603,\"message\":\"workfloor: ");
  put_escaped((const unsigned char *)message, strlen(message));
  PUT_LIT("\"}}\n");
  write_all(out, out_len);
}

/* The text item: each line numbered as `cat -n` does (six columns or more, a tab, the line without its CR, a
 * newline), written escaped straight into the reply. */
static void put_numbered(const unsigned char *text, size_t n, long first) {
  long lines = 0;
  for (const unsigned char *p = text, *e = text + n; p < e; lines++) {
    const unsigned char *nl = memchr(p, '\n', (size_t)(e - p));
    p = nl ? nl + 1 : e;
  }
  char last[24];
  int width = snprintf(last, sizeof last, "%ld", first + lines - 1);
  if (width < 6) width = 6;
  size_t start = 0;
  long number = first;
  while (start < n) {
    const unsigned char *nl = memchr(text + start, '\n', n - start);
    size_t end = nl ? (size_t)(nl - text) : n;
    size_t stop = end > start && text[end - 1] == '\r' ? end - 1 : end;
    reserve((size_t)width + 4);
    char *o = out + out_len;
    long digits = number;
    for (int column = width - 1; column >= 0; column--) {
      o[column] = digits > 0 || column == width - 1 ? (char)('0' + digits % 10) : ' ';
      digits /= 10;
    }
    o[width] = '\\', o[width + 1] = 't';
    out_len += (size_t)width + 2;
    put_escaped(text + start, stop - start);
    PUT_LIT("\\n");
    number++;
    start = end + 1;
  }
}

static void put_sha(const char *hex) { put(hex, 64); }

static void fs_read(int root, const char *id, size_t id_len, const char *path) {
  char message[512];
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS;
  int fd;
  while ((fd = (int)syscall(SYS_openat2, root, path, &how, sizeof how)) < 0 && errno == EINTR) {
  }
  if (fd < 0) {
    snprintf(message, sizeof message, "%.200s: %s%s", path, strerror(errno),
             errno == ELOOP ? " (symlinks are not followed here)" : "");
    reply_error(id, id_len, message);
    return;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_FILE_BYTES) {
    snprintf(message, sizeof message, "%.200s: not a regular file of at most %ld bytes", path, MAX_FILE_BYTES);
    close(fd);
    reply_error(id, id_len, message);
    return;
  }
  /* Read as mish's readAll does: into size + 1 bytes, until the size fstat gave (or end of file). */
  size_t size = (size_t)st.st_size, cap = size + 1, count = 0;
  unsigned char *bytes = malloc(cap);
  for (;;) {
    if (count == cap) bytes = realloc(bytes, cap += cap > 65536 ? cap : 65536);
    ssize_t n = read(fd, bytes + count, cap - count);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      snprintf(message, sizeof message, "reading %.200s: %s", path, strerror(errno));
      close(fd);
      free(bytes);
      reply_error(id, id_len, message);
      return;
    }
    if (n == 0) break;
    count += (size_t)n;
    if (size > 0 && count == size) break;
  }
  close(fd);

  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_Digest(bytes, count, digest, &digest_len, EVP_sha256(), NULL);
  static const char hexdigits[] = "0123456789abcdef";
  char sha[64];
  for (int i = 0; i < 32; i++) sha[2 * i] = hexdigits[digest[i] >> 4], sha[2 * i + 1] = hexdigits[digest[i] & 15];

  int binary = memchr(bytes, 0, count < BINARY_PREFIX ? count : BINARY_PREFIX) != NULL;
  window w = {0, 0, 1, 0, 0, 0, 0, "none"};
  if (!binary) select_window(bytes, count, &w);
  const unsigned char *text = bytes + w.start;
  size_t text_len = w.end - w.start;
  unsigned char *repaired = NULL;
  int valid = utf8_valid(text, text_len);
  if (!valid) text_len = utf8_repair(text, text_len, &repaired), text = repaired;

  size_t path_len = strlen(path);
  out_len = 0;
  reserve(text_len * 12 + (size_t)(w.last_line - w.first_line + 2) * 28 + path_len * 12 + 512);
  put_head(id, id_len);
  PUT_LIT(",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"");
  if (binary) {
    put_escaped((const unsigned char *)path, path_len);
    PUT_LIT(": binary file, ");
    put_uint(count);
    PUT_LIT(" bytes, sha256 ");
    put_sha(sha);
    PUT_LIT("; content not shown");
  } else {
    put_numbered(text, text_len, w.first_line);
    PUT_LIT("[");
    put_escaped((const unsigned char *)path, path_len);
    if (w.total_lines == 0) {
      PUT_LIT(": empty file, sha256 ");
      put_sha(sha);
    } else {
      PUT_LIT(": lines ");
      put_uint((unsigned long)w.first_line);
      PUT_LIT("-");
      put_uint((unsigned long)w.last_line);
      PUT_LIT(" of ");
      put_uint((unsigned long)w.total_lines);
      PUT_LIT(", sha256 ");
      put_sha(sha);
      PUT_LIT(", ");
      put(w.eol, strlen(w.eol));
      if (!valid) PUT_LIT(", invalid UTF-8 shown as U+FFFD");
      if (w.cut_line_bytes) {
        PUT_LIT("; line ");
        put_uint((unsigned long)w.last_line);
        PUT_LIT(" is cut: it is ");
        put_uint(w.cut_line_bytes);
        PUT_LIT(" bytes, read it whole with max_bytes=");
        put_uint(w.cut_line_bytes);
      } else if (w.last_line == w.total_lines && text_len > 0 && text[text_len - 1] != '\n') {
        PUT_LIT(", no newline at end of file");
      }
      if (w.truncated && w.last_line < w.total_lines) {
        PUT_LIT("; more follows: start_line=");
        put_uint((unsigned long)w.last_line + 1);
      }
    }
    PUT_LIT("]");
  }
  PUT_LIT("\"}],\"structuredContent\":{\"path\":\"");
  put_escaped((const unsigned char *)path, path_len);
  PUT_LIT("\",\"content\":\"");
  put_escaped(text, text_len);
  PUT_LIT("\",\"sha256\":\"");
  put_sha(sha);
  PUT_LIT("\",\"size\":");
  put_uint(count);
  PUT_LIT(",\"total_lines\":");
  put_uint((unsigned long)w.total_lines);
  PUT_LIT(",\"start_line\":");
  put_uint((unsigned long)w.first_line);
  PUT_LIT(",\"end_line\":");
  put_uint((unsigned long)w.last_line);
  if (w.truncated) PUT_LIT(",\"truncated\":true,\"eol\":\"");
  else PUT_LIT(",\"truncated\":false,\"eol\":\"");
  put(w.eol, strlen(w.eol));
  if (binary) PUT_LIT("\",\"binary\":true");
  else PUT_LIT("\",\"binary\":false");
  if (!binary && !valid) PUT_LIT(",\"invalid_utf8\":true");
  else PUT_LIT(",\"invalid_utf8\":false");
  if (w.cut_line_bytes) {
    PUT_LIT(",\"cut_line_bytes\":");
    put_uint(w.cut_line_bytes);
  }
  PUT_LIT("}");
  PUT_LIT(",\"isError\":false}}\n");
  write_all(out, out_len);
  free(repaired);
  free(bytes);
}

/* True for "a/b.txt"-style paths (Workspace.isTidyRelative): no leading, trailing or doubled slash, no "." or ".."
 * component. */
static int tidy_relative(const char *p) {
  size_t n = strlen(p);
  if (n == 0 || p[0] == '/' || p[n - 1] == '/') return 0;
  for (size_t s = 0, i = 0; i <= n; i++) {
    if (i < n && p[i] != '/') continue;
    size_t len = i - s;
    if (len == 0 || (p[s] == '.' && (len == 1 || (len == 2 && p[s + 1] == '.')))) return 0;
    s = i + 1;
  }
  return 1;
}

static int has(const char *line, const char *s) { return strstr(line, s) != NULL; }

int main(int argc, char **argv) {
  if (argc != 2) {
    fputs("usage: workfloor ROOT\n", stderr);
    return 64;
  }
  int root = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) {
    fprintf(stderr, "workfloor: %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  init_escapes();
  char *line = NULL, path[4096];
  size_t line_cap = 0;
  ssize_t n;
  while ((n = getline(&line, &line_cap, stdin)) > 0) {
    json_top top;
    jscan_top(line, (size_t)n, &top);
    if (!top.id || top.has_method == 0) continue; /* not a request */
    if (!has(line, "\"method\":\"tools/call\"")) {
      out_len = 0;
      put_head(top.id, top.id_len);
      PUT_LIT(",\"result\":{}}\n");
      write_all(out, out_len);
      continue;
    }
    const char *args = strstr(line, "\"arguments\":");
    const char *p = args ? strstr(args, "\"path\":\"") : NULL;
    if (!has(line, "\"name\":\"fs_read\"") || !p) {
      reply_error(top.id, top.id_len, "only tools/call fs_read with a path is served");
      continue;
    }
    if (has(args, "\"start_line\"") || has(args, "\"limit_lines\"") || has(args, "\"max_bytes\"")) {
      reply_error(top.id, top.id_len, "only the default window (start_line, limit_lines, max_bytes unset)");
      continue;
    }
    p += strlen("\"path\":\"");
    const char *q = strchr(p, '"');
    size_t len = q ? (size_t)(q - p) : 0;
    if (!q || memchr(p, '\\', len) || len >= sizeof path) {
      reply_error(top.id, top.id_len, "paths with escapes (or this long) are not served");
      continue;
    }
    memcpy(path, p, len);
    path[len] = 0;
    if (!tidy_relative(path)) {
      reply_error(top.id, top.id_len, "only tidy relative paths (no leading or trailing slash, . or ..)");
      continue;
    }
    fs_read(root, top.id, top.id_len, path);
  }
  return 0;
}
