/* floor — the pipe floor for the round-trip benchmark.
 *
 * Answers every request line at once with a fixed JSON-RPC result of about SIZE bytes (default 4096), carrying the
 * request's own id so the client can match it; notifications (no id) get no reply. No JSON is parsed beyond finding
 * the top-level id, so this is what one round trip through two pipes and two processes costs, and nothing more.
 *
 *   floor [SIZE]
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonscan.h"

static void write_all(const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(1, s, n);
    if (w <= 0) exit(0);
    s += w;
    n -= (size_t)w;
  }
}

int main(int argc, char **argv) {
  long size = argc > 1 ? atol(argv[1]) : 4096;
  const char *head = "{\"jsonrpc\":\"2.0\",\"id\":";
  const char *mid = ",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"";
  const char *tail = "\"}],\"isError\":false}}\n";
  long pad = size - (long)(strlen(head) + strlen(mid) + strlen(tail)) - 4; /* 4: a typical id */
  if (pad < 0) pad = 0;
  size_t cap = (size_t)size + 256;
  char *out = malloc(cap);
  char *body = malloc((size_t)pad + strlen(tail) + 1);
  static const char filler[] = "abcdefghijklmnopqrstuvwxyz .,";
  for (long i = 0; i < pad; i++) body[i] = filler[i % (sizeof filler - 1)];
  strcpy(body + pad, tail);
  size_t body_len = (size_t)pad + strlen(tail);

  char *line = NULL;
  size_t line_cap = 0;
  ssize_t n;
  while ((n = getline(&line, &line_cap, stdin)) > 0) {
    json_top top;
    jscan_top(line, (size_t)n, &top);
    if (!top.id || top.has_method == 0) continue; /* not a request */
    size_t need = strlen(head) + top.id_len + strlen(mid) + body_len;
    if (need > cap) {
      cap = need * 2;
      out = realloc(out, cap);
    }
    size_t o = 0;
    memcpy(out + o, head, strlen(head)), o += strlen(head);
    memcpy(out + o, top.id, top.id_len), o += top.id_len;
    memcpy(out + o, mid, strlen(mid)), o += strlen(mid);
    memcpy(out + o, body, body_len), o += body_len;
    write_all(out, o);
  }
  return 0;
}
