// SQLite 3 (Debian libsqlite3-dev), for the hub's journal. SQLITE_TRANSIENT is a cast macro Swift cannot import,
// so binding text and blobs that SQLite must copy goes through these two inline wrappers.
#include <sqlite3.h>

static inline int mish_sqlite_bind_text(sqlite3_stmt *statement, int index, const char *text, int length) {
  return sqlite3_bind_text(statement, index, text, length, SQLITE_TRANSIENT);
}

static inline int mish_sqlite_bind_blob(sqlite3_stmt *statement, int index, const void *bytes, int length) {
  return sqlite3_bind_blob(statement, index, bytes, length, SQLITE_TRANSIENT);
}
