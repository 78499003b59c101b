/* rtclient — a raw stdio JSON-RPC client for benchmarks.
 *
 * Spawns a server command, optionally performs the MCP initialize handshake, then times round trips: a sequential
 * phase (send one line, read its reply line) and a concurrent phase (keep K requests in flight, matching replies by
 * id). Each phase prints one JSON line on stdout with p50 (the median), p99, mean, min, max per round trip, calls/s
 * and the mean reply size.
 *
 * A second mode, --exec, times a whole command instead (fork to exit, stdout to a file): the same summary line, so
 * a command-line peer (rg, sed) is measured by the same clock and statistics as a request. With --spawn the command
 * is started by posix_spawn (glibc: clone with CLONE_VM|CLONE_VFORK, then exec) instead of fork: the cheapest way
 * to launch a program, the floor for a launcher.
 *
 *   rtclient [options] -- SERVER_ARGV...
 *   rtclient --exec N [--spawn] [--out FILE] [--warmup W] [--label L] -- COMMAND_ARGV... [--alt COMMAND_ARGV...]
 *
 * Every reply is checked: it must not contain any --reject string (by default a JSON-RPC error or an MCP
 * "isError":true) and must contain every --expect string; a failed check ends the run with exit status 1 and the
 * offending reply on stderr, so a broken server is never reported as fast.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jsonscan.h"

#define MAX_PARAMS 16
#define MAX_CHECKS 16

static const char *label = "server";
static const char *method = "tools/call";
static const char *params[MAX_PARAMS];
static int n_params = 0;
static const char *expects[MAX_CHECKS];
static int n_expects = 0;
static const char *rejects[MAX_CHECKS];
static int n_rejects = 0;
static int no_default_rejects = 0;
static const char *init_version = NULL;
static long warmup = 20, seq_n = 0, conc_k = 8, conc_total = 0, exec_n = 0;
static long timeout_ms = 300000;
static const char *dump_path = NULL;
static const char *out_path = "/dev/null";
static const char *server_stderr = NULL;
static int print_samples = 0;
static int use_spawn = 0;

static void usage(void);

static pid_t server_pid = -1;
static int to_server = -1, from_server = -1;

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "rtclient[%s]: ", label);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  if (server_pid > 0) kill(server_pid, SIGKILL);
  exit(1);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- reading reply lines ------------------------------------------------------------------------------------ */

static char *rbuf = NULL;
static size_t rcap = 0, rstart = 0, rlen = 0, rscan = 0; /* bytes [rstart, rlen) are unread; scanned to rscan */

/* Returns the next line (without its newline) and its length, waiting up to timeout_ms. The pointer stays valid
 * until the next call. */
static char *read_line(size_t *len_out) {
  double deadline = now_ms() + timeout_ms;
  for (;;) {
    char *nl = rscan < rlen ? memchr(rbuf + rscan, '\n', rlen - rscan) : NULL;
    if (nl) {
      char *line = rbuf + rstart;
      size_t len = (size_t)(nl - line);
      rstart = rscan = (size_t)(nl - rbuf) + 1;
      if (len > 0 && line[len - 1] == '\r') len--;
      if (len == 0) continue; /* blank line between messages */
      *len_out = len;
      return line;
    }
    rscan = rlen;
    if (rstart > 0 && (rstart == rlen || rstart > rcap / 2)) {
      memmove(rbuf, rbuf + rstart, rlen - rstart);
      rlen -= rstart;
      rscan -= rstart;
      rstart = 0;
    }
    if (rcap - rlen < 65536) {
      rcap = rcap ? rcap * 2 : (1 << 20);
      rbuf = realloc(rbuf, rcap);
      if (!rbuf) die("out of memory");
    }
    double left = deadline - now_ms();
    if (left <= 0) die("no reply within %ld ms", timeout_ms);
    struct pollfd p = {.fd = from_server, .events = POLLIN};
    int r = poll(&p, 1, (int)left + 1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die("poll: %s", strerror(errno));
    if (r == 0) continue;
    ssize_t got = read(from_server, rbuf + rlen, rcap - rlen);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got < 0) die("read: %s", strerror(errno));
    if (got == 0) die("the server closed its stdout (exited?)");
    rlen += (size_t)got;
  }
}

/* ---- sending requests --------------------------------------------------------------------------------------- */

static char *wbuf = NULL;
static size_t wcap = 0;

static void write_all(const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(to_server, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) die("write: %s", strerror(errno));
    s += w;
    n -= (size_t)w;
  }
}

static void send_request(long id, const char *m, const char *p) {
  size_t need = strlen(m) + strlen(p) + 96;
  if (need > wcap) {
    wcap = need * 2;
    wbuf = realloc(wbuf, wcap);
    if (!wbuf) die("out of memory");
  }
  int n = snprintf(wbuf, wcap, "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"%s\",\"params\":%s}\n", id, m, p);
  write_all(wbuf, (size_t)n);
}

static void send_notification(const char *m) {
  char line[256];
  int n = snprintf(line, sizeof line, "{\"jsonrpc\":\"2.0\",\"method\":\"%s\"}\n", m);
  write_all(line, (size_t)n);
}

/* Reads lines until a reply (a message with a numeric id and no method) arrives; returns its id. Messages from the
 * server (notifications, requests) are skipped. */
static long read_reply(char **line_out, size_t *len_out) {
  for (;;) {
    size_t len;
    char *line = read_line(&len);
    json_top top;
    jscan_top(line, len, &top);
    if (top.has_method || !top.id) continue;
    char tmp[32];
    if (top.id_len == 0 || top.id_len >= sizeof tmp) continue;
    memcpy(tmp, top.id, top.id_len);
    tmp[top.id_len] = 0;
    char *end;
    long id = strtol(tmp, &end, 10);
    if (*end) continue; /* not one of ours */
    *line_out = line;
    *len_out = len;
    return id;
  }
}

static void dump_reply(const char *line, size_t len) {
  if (!dump_path) return;
  FILE *f = fopen(dump_path, "w");
  if (!f) die("cannot write %s: %s", dump_path, strerror(errno));
  fwrite(line, 1, len, f);
  fputc('\n', f);
  fclose(f);
}

static void check_reply(const char *line, size_t len) {
  for (int i = 0; i < n_rejects; i++) {
    if (memmem(line, len, rejects[i], strlen(rejects[i]))) {
      fprintf(stderr, "rtclient[%s]: reply contains %s:\n%.*s\n", label, rejects[i], (int)(len > 2000 ? 2000 : len),
              line);
      dump_reply(line, len);
      die("bad reply");
    }
  }
  for (int i = 0; i < n_expects; i++) {
    if (!memmem(line, len, expects[i], strlen(expects[i]))) {
      fprintf(stderr, "rtclient[%s]: reply lacks %s:\n%.*s\n", label, expects[i], (int)(len > 2000 ? 2000 : len),
              line);
      dump_reply(line, len);
      die("bad reply");
    }
  }
}

/* ---- statistics --------------------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void report(const char *phase, double *samples, long n, double wall_ms, double reply_bytes, int conc) {
  double *sorted = malloc(sizeof(double) * (size_t)n);
  memcpy(sorted, samples, sizeof(double) * (size_t)n);
  qsort(sorted, (size_t)n, sizeof(double), cmp_double);
  double sum = 0;
  for (long i = 0; i < n; i++) sum += sorted[i];
  double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  long r99 = (long)ceil(0.99 * (double)n) - 1;
  if (r99 < 0) r99 = 0;
  printf("{\"label\":\"%s\",\"phase\":\"%s\",\"n\":%ld,\"concurrency\":%d,\"p50_ms\":%.4f,\"p99_ms\":%.4f,"
         "\"mean_ms\":%.4f,\"min_ms\":%.4f,\"max_ms\":%.4f,\"calls_per_s\":%.1f,\"reply_bytes\":%.0f",
         label, phase, n, conc, median, sorted[r99], sum / (double)n, sorted[0], sorted[n - 1],
         (double)n / (wall_ms / 1e3), reply_bytes);
  if (print_samples) {
    printf(",\"samples_ms\":[");
    for (long i = 0; i < n; i++) printf("%s%.4f", i ? "," : "", samples[i]);
    printf("]");
  }
  printf("}\n");
  fflush(stdout);
  free(sorted);
}

/* ---- the phases --------------------------------------------------------------------------------------------- */

static long next_id = 1;

static const char *params_for(long i) { return n_params ? params[i % n_params] : "{}"; }

static void initialize(void) {
  char p[512];
  snprintf(p, sizeof p,
           "{\"protocolVersion\":\"%s\",\"capabilities\":{},\"clientInfo\":{\"name\":\"rtclient\",\"version\":\"1\"}}",
           init_version);
  long id = next_id++;
  send_request(id, "initialize", p);
  char *line;
  size_t len;
  if (read_reply(&line, &len) != id) die("unexpected reply to initialize");
  if (memmem(line, len, "\"error\"", 7) && !memmem(line, len, "\"result\"", 8))
    die("initialize failed: %.*s", (int)len, line);
  send_notification("notifications/initialized");
}

static long call_counter = 0; /* which params to use: alternates across warmup and every phase */

static void sequential(const char *phase, long n, int record) {
  double *samples = malloc(sizeof(double) * (size_t)(n ? n : 1));
  double bytes = 0, t0 = now_ms();
  for (long i = 0; i < n; i++) {
    long id = next_id++;
    double start = now_ms();
    send_request(id, method, params_for(call_counter++));
    char *line;
    size_t len;
    long got = read_reply(&line, &len);
    samples[i] = now_ms() - start;
    if (got != id) die("reply id %ld, expected %ld", got, id);
    check_reply(line, len);
    bytes += (double)len + 1;
    if (i == n - 1) dump_reply(line, len);
  }
  if (record && n > 0) report(phase, samples, n, now_ms() - t0, bytes / (double)n, 1);
  free(samples);
}

static void concurrent(long total, long k) {
  double *sent_at = calloc((size_t)total, sizeof(double));
  double *samples = malloc(sizeof(double) * (size_t)total);
  long first_id = next_id, sent = 0, done = 0;
  double bytes = 0, t0 = now_ms();
  while (done < total) {
    while (sent < total && sent - done < k) {
      sent_at[sent] = now_ms();
      send_request(first_id + sent, method, params_for(call_counter++));
      sent++;
    }
    char *line;
    size_t len;
    long id = read_reply(&line, &len);
    double t = now_ms();
    long slot = id - first_id;
    if (slot < 0 || slot >= sent || sent_at[slot] == 0) die("unexpected reply id %ld", id);
    check_reply(line, len);
    samples[done++] = t - sent_at[slot];
    sent_at[slot] = 0;
    bytes += (double)len + 1;
  }
  next_id += total;
  report("concurrent", samples, total, now_ms() - t0, bytes / (double)total, (int)k);
  free(sent_at);
  free(samples);
}

static void spawn(char **argv) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) die("pipe: %s", strerror(errno));
  server_pid = fork();
  if (server_pid < 0) die("fork: %s", strerror(errno));
  if (server_pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    if (server_stderr) {
      int fd = open(server_stderr, O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) dup2(fd, 2);
    }
    execvp(argv[0], argv);
    fprintf(stderr, "rtclient: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  to_server = in[1];
  from_server = out[0];
}

static void finish_server(void) {
  close(to_server);
  for (int i = 0; i < 500; i++) { /* up to 5 s for a clean exit at end of input */
    int status;
    pid_t r = waitpid(server_pid, &status, WNOHANG);
    if (r == server_pid) return;
    usleep(10000);
  }
  kill(server_pid, SIGKILL);
  waitpid(server_pid, NULL, 0);
}

/* ---- --exec: time a whole command --------------------------------------------------------------------------- */

extern char **environ;

static double run_once(char **argv) {
  double start = now_ms();
  pid_t pid;
  if (use_spawn) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (err) die("posix_spawn %s: %s", argv[0], strerror(err));
  } else if ((pid = fork()) < 0) {
    die("fork: %s", strerror(errno));
  } else if (pid == 0) {
    int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) _exit(126);
    dup2(fd, 1);
    execvp(argv[0], argv);
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  double t = now_ms() - start;
  if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) /* rg and grep exit 1 on no match; anything else fails */
    die("%s failed (status %d)", argv[0], status);
  return t;
}

/* COMMAND_ARGV may hold "--alt": then the commands before and after it run in turn (an edit and its undo). */
static void exec_mode(char **argv) {
  char **cmds[2] = {argv, argv};
  for (char **a = argv; *a; a++) {
    if (!strcmp(*a, "--alt")) {
      *a = NULL;
      cmds[1] = a + 1;
      if (!cmds[1][0]) usage();
      break;
    }
  }
  long turn = 0;
  for (long i = 0; i < warmup; i++) run_once(cmds[turn++ % 2]);
  double *samples = malloc(sizeof(double) * (size_t)exec_n);
  double t0 = now_ms();
  for (long i = 0; i < exec_n; i++) samples[i] = run_once(cmds[turn++ % 2]);
  report("exec", samples, exec_n, now_ms() - t0, 0, 1);
  free(samples);
}

/* ---- main --------------------------------------------------------------------------------------------------- */

static void usage(void) {
  fputs("usage: rtclient [--label L] [--init[=VERSION]] [--method M] [--params JSON]... [--warmup N]\n"
        "                [--seq N] [--conc K] [--conc-total N] [--expect S]... [--reject S]...\n"
        "                [--no-default-rejects] [--dump FILE] [--server-stderr FILE] [--samples]\n"
        "                [--timeout-ms MS] -- SERVER_ARGV...\n"
        "       rtclient --exec N [--spawn] [--out FILE] [--warmup N] [--label L] [--samples]\n"
        "                -- COMMAND_ARGV... [--alt COMMAND_ARGV...]\n",
        stderr);
  exit(64);
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
#define VALUE() (i + 1 < argc ? argv[++i] : (usage(), ""))
    if (!strcmp(a, "--")) {
      i++;
      break;
    } else if (!strcmp(a, "--label")) label = VALUE();
    else if (!strcmp(a, "--init")) init_version = "2025-06-18";
    else if (!strncmp(a, "--init=", 7)) init_version = a + 7;
    else if (!strcmp(a, "--method")) method = VALUE();
    else if (!strcmp(a, "--params")) {
      if (n_params == MAX_PARAMS) usage();
      params[n_params++] = VALUE();
    } else if (!strcmp(a, "--expect")) {
      if (n_expects == MAX_CHECKS) usage();
      expects[n_expects++] = VALUE();
    } else if (!strcmp(a, "--reject")) {
      if (n_rejects == MAX_CHECKS - 2) usage();
      rejects[n_rejects++] = VALUE();
    } else if (!strcmp(a, "--no-default-rejects")) no_default_rejects = 1;
    else if (!strcmp(a, "--warmup")) warmup = atol(VALUE());
    else if (!strcmp(a, "--seq")) seq_n = atol(VALUE());
    else if (!strcmp(a, "--conc")) conc_k = atol(VALUE());
    else if (!strcmp(a, "--conc-total")) conc_total = atol(VALUE());
    else if (!strcmp(a, "--exec")) exec_n = atol(VALUE());
    else if (!strcmp(a, "--spawn")) use_spawn = 1;
    else if (!strcmp(a, "--out")) out_path = VALUE();
    else if (!strcmp(a, "--dump")) dump_path = VALUE();
    else if (!strcmp(a, "--server-stderr")) server_stderr = VALUE();
    else if (!strcmp(a, "--samples")) print_samples = 1;
    else if (!strcmp(a, "--timeout-ms")) timeout_ms = atol(VALUE());
    else usage();
#undef VALUE
  }
  if (i >= argc || conc_k < 1) usage();
  char **cmd = argv + i;

  if (exec_n > 0) {
    exec_mode(cmd);
    return 0;
  }
  if (!no_default_rejects) {
    rejects[n_rejects++] = "\"isError\":true";
    rejects[n_rejects++] = "\"error\":{\"code\":-"; /* a JSON-RPC error object (numeric code) */
  }
  spawn(cmd);
  if (init_version) initialize();
  sequential("warmup", warmup, 0);
  if (seq_n > 0) sequential("sequential", seq_n, 1);
  if (conc_total > 0) concurrent(conc_total, conc_k);
  finish_server();
  return 0;
}
