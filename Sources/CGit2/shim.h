// libgit2 (Debian libgit2-dev 1.5). Used only by MishGit, each repository on its own serial queue.
#include <git2.h>
