/*
 * The libgit2 peer of the merge benchmark: libgit2's own three-way merge of two commits, as an application would
 * do it without a work tree, timed in-process per iteration.
 *
 *   merge_libgit2 REPO OURS THEIRS N
 *
 * Each iteration is git_merge_commits (merge base, then a merge into a new in-memory index of the whole tree;
 * default options, so rename detection on) and git_index_write_tree_to (the index's trees written to REPO's object
 * database). The revisions are resolved once, before the loop. Prints one JSON line:
 *   {"label":"libgit2","version":"1.5.1","tree":"<oid>","conflicts":false,"ms":[...]}
 * A conflicting merge has no tree ("tree":null, "conflicts":true); any libgit2 failure exits 2 with its message.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void check(int rc, const char *what) {
  if (rc >= 0) return;
  const git_error *error = git_error_last();
  fprintf(stderr, "merge_libgit2: %s: %s (%d)\n", what, error ? error->message : "unknown error", rc);
  exit(2);
}

static git_commit *resolve(git_repository *repo, const char *revision) {
  git_object *object = NULL, *commit = NULL;
  check(git_revparse_single(&object, repo, revision), revision);
  check(git_object_peel(&commit, object, GIT_OBJECT_COMMIT), revision);
  git_object_free(object);
  return (git_commit *)commit;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 5 || atol(argv[4]) < 1) {
    fputs("usage: merge_libgit2 REPO OURS THEIRS N\n", stderr);
    return 64;
  }
  long n = atol(argv[4]);
  git_libgit2_init();
  git_repository *repo = NULL;
  check(git_repository_open(&repo, argv[1]), "git_repository_open");
  git_commit *ours = resolve(repo, argv[2]);
  git_commit *theirs = resolve(repo, argv[3]);

  double *samples = calloc((size_t)n, sizeof(double));
  char tree_hex[GIT_OID_HEXSZ + 1] = {0};
  int conflicts = 0;
  for (long i = 0; i < n; i++) {
    double start = now_ms();
    git_index *index = NULL;
    check(git_merge_commits(&index, repo, ours, theirs, NULL), "git_merge_commits");
    conflicts = git_index_has_conflicts(index);
    if (!conflicts) {
      git_oid tree;
      check(git_index_write_tree_to(&tree, index, repo), "git_index_write_tree_to");
      git_oid_tostr(tree_hex, sizeof tree_hex, &tree);
    }
    git_index_free(index);
    samples[i] = now_ms() - start;
  }

  int major, minor, rev;
  git_libgit2_version(&major, &minor, &rev);
  printf("{\"label\":\"libgit2\",\"version\":\"%d.%d.%d\",", major, minor, rev);
  if (conflicts)
    printf("\"tree\":null,\"conflicts\":true,\"ms\":[");
  else
    printf("\"tree\":\"%s\",\"conflicts\":false,\"ms\":[", tree_hex);
  for (long i = 0; i < n; i++) printf("%s%.3f", i ? "," : "", samples[i]);
  printf("]}\n");

  free(samples);
  git_commit_free(ours);
  git_commit_free(theirs);
  git_repository_free(repo);
  git_libgit2_shutdown();
  return conflicts ? 1 : 0;
}
