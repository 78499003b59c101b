/* jsonscan.h — finds the top-level "id" and "method" members of one JSON-RPC message without parsing the rest.
 *
 * Shared by rtclient.c and floor.c. Strings are skipped with their escapes, nesting is tracked, and only keys of the
 * outermost object count, so an "id" inside params or a result (or inside an escaped string) is never mistaken for
 * the message id.
 */
#ifndef MISH_BENCH_JSONSCAN_H
#define MISH_BENCH_JSONSCAN_H

#include <stddef.h>
#include <string.h>

typedef struct {
  const char *id;   /* raw JSON text of the id value (number, string or null); NULL when there is none */
  size_t id_len;
  int has_method;   /* 1 when the message has a top-level "method" (a request or notification from the peer) */
} json_top;

/* Returns the index just past the string whose opening quote is at s[i], or n when it is unterminated. */
static size_t jscan_skip_string(const char *s, size_t n, size_t i) {
  for (i++; i < n; i++) {
    if (s[i] == '\\') {
      i++;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return n;
}

static void jscan_top(const char *s, size_t n, json_top *out) {
  out->id = NULL;
  out->id_len = 0;
  out->has_method = 0;
  int depth = 0, expect_key = 0;
  size_t i = 0;
  while (i < n) {
    char c = s[i];
    if (c == '"') {
      size_t end = jscan_skip_string(s, n, i);
      if (depth == 1 && expect_key) {
        const char *key = s + i + 1;
        size_t key_len = end - i - 2;
        expect_key = 0;
        size_t j = end;
        while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r' || s[j] == '\n' || s[j] == ':')) j++;
        if (key_len == 2 && memcmp(key, "id", 2) == 0) {
          size_t k = j;
          if (k < n && s[k] == '"') {
            k = jscan_skip_string(s, n, k);
          } else {
            while (k < n && s[k] != ',' && s[k] != '}' && s[k] != ' ' && s[k] != '\r' && s[k] != '\n') k++;
          }
          out->id = s + j;
          out->id_len = k - j;
          i = k;
          continue;
        }
        if (key_len == 6 && memcmp(key, "method", 6) == 0) out->has_method = 1;
        i = j;
        continue;
      }
      i = end;
      continue;
    }
    if (c == '{' || c == '[') {
      depth++;
      if (depth == 1 && c == '{') expect_key = 1;
    } else if (c == '}' || c == ']') {
      depth--;
    } else if (c == ',' && depth == 1) {
      expect_key = 1;
    }
    i++;
  }
}

#endif
