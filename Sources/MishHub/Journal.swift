import CSQLite
import Foundation
import MishJSON
import MishRPC

/// The hub's durable state in one SQLite database (WAL) under `.mish/`: sessions, the event log, leases, the
/// decisions log, the merge queue, gate results by tree, and landings in progress. Every write is a committed transaction before the hub acts on it, so a `kill -9` loses nothing
/// the hub has reported. One connection, used under a lock.
public final class Journal: @unchecked Sendable {
  public enum Value: Sendable, Equatable {
    case int(Int64)
    case text(String)
    case null

    var int: Int? { if case .int(let value) = self { Int(value) } else { nil } }
    var text: String? { if case .text(let value) = self { value } else { nil } }
  }

  public struct Failure: Error, CustomStringConvertible {
    public let description: String

    /// The failure as a tool error (io_error), with what to do next.
    var toolError: ToolError {
      ToolError(.io, description, hint: "The hub's journal (.mish/hub.db) could not be read or written; check the disk (df, permissions) and retry.")
    }
  }

  let database: OpaquePointer
  let lock = NSLock()
  /// Prepared statements by their SQL (used under `lock`).
  var statements: [String: OpaquePointer] = [:]
  public let path: String

  static let schema = """
    CREATE TABLE IF NOT EXISTS sessions(
      id TEXT PRIMARY KEY, state TEXT NOT NULL, branch TEXT NOT NULL, worktree TEXT NOT NULL, base TEXT NOT NULL,
      task TEXT NOT NULL, profile TEXT NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
      reason TEXT);
    CREATE TABLE IF NOT EXISTS events(
      seq INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL, kind TEXT NOT NULL, session_id TEXT,
      data TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS leases(
      id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, pattern TEXT NOT NULL,
      exclusive INTEGER NOT NULL, expires_ms INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS decisions(
      id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL, author TEXT NOT NULL, text TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS queue(
      id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL, branch TEXT NOT NULL, head TEXT NOT NULL,
      message TEXT NOT NULL, priority INTEGER NOT NULL, no_batch INTEGER NOT NULL, state TEXT NOT NULL,
      submitted_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, gates TEXT NOT NULL, reason TEXT, landed_sha TEXT,
      batch TEXT, note TEXT);
    CREATE TABLE IF NOT EXISTS gate_results(
      tree TEXT NOT NULL, gate_key TEXT NOT NULL, result TEXT NOT NULL, time_ms INTEGER NOT NULL,
      PRIMARY KEY(tree, gate_key));
    CREATE TABLE IF NOT EXISTS landings(
      id INTEGER PRIMARY KEY AUTOINCREMENT, items TEXT NOT NULL, target TEXT NOT NULL, old_sha TEXT NOT NULL,
      new_sha TEXT NOT NULL, tree TEXT NOT NULL, state TEXT NOT NULL, time_ms INTEGER NOT NULL);
    """

  public init(path: String) throws(Failure) {
    self.path = path
    var handle: OpaquePointer?
    let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
    guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
      let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
      if let handle { sqlite3_close(handle) }
      throw Failure(description: "Cannot open the hub journal \(path): \(message)")
    }
    database = handle
    sqlite3_busy_timeout(handle, 5000)
    try execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
    try execute(Self.schema)
  }

  deinit {
    for statement in statements.values { sqlite3_finalize(statement) }
    sqlite3_close(database)
  }

  /// Runs statements that return nothing.
  public func execute(_ sql: String) throws(Failure) {
    lock.lock()
    defer { lock.unlock() }
    var error: UnsafeMutablePointer<CChar>?
    guard sqlite3_exec(database, sql, nil, nil, &error) == SQLITE_OK else {
      let message = error.map { String(cString: $0) } ?? "unknown error"
      sqlite3_free(error)
      throw Failure(description: "journal: \(message)")
    }
  }

  /// One statement with bound values; returns its rows (and, for an insert, the new row id).
  @discardableResult
  public func query(_ sql: String, _ values: [Value] = []) throws(Failure) -> (rows: [[Value]], lastID: Int64) {
    lock.lock()
    defer { lock.unlock() }
    return try queryLocked(sql, values)
  }

  /// Statements run inside `transaction`, where the lock is already held.
  public struct Transaction {
    let journal: Journal
    @discardableResult
    public func query(_ sql: String, _ values: [Value] = []) throws(Failure) -> (rows: [[Value]], lastID: Int64) {
      try journal.queryLocked(sql, values)
    }
  }

  /// Several statements in one transaction: all or none.
  public func transaction<T>(_ body: (Transaction) throws(Failure) -> T) throws(Failure) -> T {
    lock.lock()
    defer { lock.unlock() }
    _ = try queryLocked("BEGIN IMMEDIATE", [])
    do {
      let result = try body(Transaction(journal: self))
      _ = try queryLocked("COMMIT", [])
      return result
    } catch {
      _ = try? queryLocked("ROLLBACK", [])
      throw error
    }
  }

  func queryLocked(_ sql: String, _ values: [Value]) throws(Failure) -> (rows: [[Value]], lastID: Int64) {
    // Statements are prepared once and kept (the hub runs a few dozen distinct ones, the call event's on every
    // routed call): compiling the SQL cost more than running the insert.
    let statement: OpaquePointer
    if let cached = statements[sql] {
      statement = cached
    } else {
      var prepared: OpaquePointer?
      guard sqlite3_prepare_v3(database, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil) == SQLITE_OK, let prepared else {
        throw Failure(description: "journal: \(String(cString: sqlite3_errmsg(database))) in \(sql.prefix(80))")
      }
      statement = prepared
      statements[sql] = prepared
    }
    defer {
      sqlite3_reset(statement)
      sqlite3_clear_bindings(statement)
    }
    for (index, value) in values.enumerated() {
      let position = Int32(index + 1)
      switch value {
      case .int(let number): sqlite3_bind_int64(statement, position, number)
      case .text(let text):
        let length = Int32(text.utf8.count)
        _ = text.withCString { mish_sqlite_bind_text(statement, position, $0, length) }
      case .null: sqlite3_bind_null(statement, position)
      }
    }
    var rows: [[Value]] = []
    while true {
      let step = sqlite3_step(statement)
      if step == SQLITE_DONE { break }
      guard step == SQLITE_ROW else {
        throw Failure(description: "journal: \(String(cString: sqlite3_errmsg(database))) in \(sql.prefix(80))")
      }
      var row: [Value] = []
      for column in 0..<sqlite3_column_count(statement) {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: row.append(.int(sqlite3_column_int64(statement, column)))
        case SQLITE_NULL: row.append(.null)
        default:
          let count = Int(sqlite3_column_bytes(statement, column))
          if let text = sqlite3_column_text(statement, column) {
            row.append(.text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)))
          } else {
            row.append(.text(""))
          }
        }
      }
      rows.append(row)
    }
    return (rows, sqlite3_last_insert_rowid(database))
  }
}
