import Foundation
import MishJSON
import MishSearch

/// A lease on paths (a glob) held by one session until it expires or is released.
struct Lease: Sendable, Equatable {
  var id: Int
  var sessionID: String
  var pattern: String
  var exclusive: Bool
  var expiresMs: Int64

  /// The columns every lease query selects, in `init(row:)`'s order.
  static let columns = "id, session_id, pattern, exclusive, expires_ms"

  init(id: Int, sessionID: String, pattern: String, exclusive: Bool, expiresMs: Int64) {
    self.id = id
    self.sessionID = sessionID
    self.pattern = pattern
    self.exclusive = exclusive
    self.expiresMs = expiresMs
  }

  init(row: [Journal.Value]) {
    self.init(
      id: row[0].int ?? 0, sessionID: row[1].text ?? "", pattern: row[2].text ?? "", exclusive: row[3].int == 1,
      expiresMs: Int64(row[4].int ?? 0))
  }

  var json: JSONValue {
    .object([
      "lease_id": .int(id), "session_id": .string(sessionID), "pattern": .string(pattern), "exclusive": .bool(exclusive),
      "expires_ms": .int(Int(expiresMs)),
    ])
  }
}

/// The rules of leases and of which calls write where: pure, so they are tested with tables.
enum LeaseRules {
  /// The leases of other sessions that a new claim collides with: an exclusive claim collides with any lease on an
  /// overlapping pattern, a shared claim only with exclusive ones.
  static func conflicts(pattern: String, exclusive: Bool, session: String, leases: [Lease], nowMs: Int64) -> [Lease] {
    leases.filter { lease in
      lease.sessionID != session && lease.expiresMs > nowMs && (exclusive || lease.exclusive)
        && patternsOverlap(lease.pattern, pattern)
    }
  }

  /// The exclusive lease of another session covering `path`, if any: a write there is refused.
  static func blocking(path: String, session: String, leases: [Lease], nowMs: Int64) -> Lease? {
    leases.first { lease in
      lease.sessionID != session && lease.exclusive && lease.expiresMs > nowMs && matches(lease.pattern, path)
    }
  }

  static func matches(_ pattern: String, _ path: String) -> Bool {
    guard let glob = try? GlobPattern(pattern) else { return pattern == path }
    if glob.matches(path) { return true }
    // A pattern naming a directory covers what is inside it.
    let directory = pattern.hasSuffix("/") ? String(pattern.dropLast()) : pattern
    return path.hasPrefix(directory + "/") && !directory.contains(where: { "*?[{".contains($0) })
  }

  /// Whether two patterns can match a common path. A plain path overlaps a pattern that matches it (or a directory
  /// it is in); two globs are decided conservatively (a false "yes" only costs a refused claim): their fixed
  /// prefixes nest.
  static func patternsOverlap(_ a: String, _ b: String) -> Bool {
    if a == b || matches(a, b) || matches(b, a) { return true }
    func fixedPrefix(_ pattern: String) -> String { String(pattern.prefix { !"*?[{".contains($0) }) }
    let (pa, pb) = (fixedPrefix(a), fixedPrefix(b))
    guard pa.count < a.count && pb.count < b.count else { return false }  // a plain path: matching decided it
    return pa.hasPrefix(pb) || pb.hasPrefix(pa)
  }

  /// `path` relative to a session's worktree, tidied lexically as the session's server tidies it ("./", doubled
  /// slashes and "a/../" go; an absolute path inside one of `roots`, the worktree as given or resolved, loses that
  /// prefix; "" is the worktree itself). Nil for an absolute path elsewhere or one climbing above the worktree: the
  /// server refuses those as outside its root.
  static func relativePath(_ path: String, roots: [String]) -> String? {
    var rest = Substring(path)
    if path.hasPrefix("/") {
      var tidy: [Substring] = []
      for part in path.split(separator: "/") where part != "." {
        if part == ".." { _ = tidy.popLast() } else { tidy.append(part) }
      }
      let absolute = "/" + tidy.joined(separator: "/")
      guard let root = roots.first(where: { absolute == $0 || absolute.hasPrefix($0 == "/" ? "/" : $0 + "/") }) else { return nil }
      rest = absolute.dropFirst(root == "/" ? 1 : root.count)
    }
    var parts: [Substring] = []
    for part in rest.split(separator: "/") where part != "." {
      if part == ".." {
        guard !parts.isEmpty else { return nil }
        parts.removeLast()
      } else {
        parts.append(part)
      }
    }
    return parts.joined(separator: "/")
  }

  /// The root-relative paths a session call would write, for the lease check; nil for calls that write nothing
  /// mish can name beforehand (reads, and commands: exec_run may write anywhere in the worktree).
  static func writtenPaths(method: String, params: JSONValue) -> [String]? {
    func string(_ key: String) -> [String] { params[key]?.stringValue.map { [$0] } ?? [] }
    switch method {
    case "fs/write", "fs/edit", "fs/remove", "fs/mkdir": return string("path")
    case "fs/move": return string("from") + string("to")
    case "fs/patch": return patchPaths(params["patch"]?.stringValue ?? "")
    case "git/restore": return params["paths"]?.arrayValue?.compactMap(\.stringValue) ?? []
    default: return nil
    }
  }

  /// The files a Codex envelope or unified diff touches (what its headers name).
  static func patchPaths(_ patch: String) -> [String] {
    var paths: [String] = []
    for line in patch.split(separator: "\n", omittingEmptySubsequences: true) {
      var path: Substring?
      for prefix in ["*** Add File: ", "*** Update File: ", "*** Delete File: ", "*** Move to: ", "+++ ", "--- "] where line.hasPrefix(prefix) {
        path = line.dropFirst(prefix.count)
      }
      guard var name = path?.trimmingCharacters(in: .whitespaces), !name.isEmpty, name != "/dev/null" else { continue }
      if let tab = name.firstIndex(of: "\t") { name = String(name[..<tab]) }
      if (line.hasPrefix("+++ ") || line.hasPrefix("--- ")) && (name.hasPrefix("a/") || name.hasPrefix("b/")) { name.removeFirst(2) }
      if !paths.contains(name) { paths.append(name) }
    }
    return paths
  }
}
