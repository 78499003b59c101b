// libseccomp (Debian libseccomp-dev 2.5.4). Used only in the server process to build and export filters; the
// child never calls libseccomp, it loads the exported BPF.
#include <seccomp.h>
