// Lease rules (pure): which claims collide, which writes are refused, which calls write where.
import MishJSON
import Testing

@testable import MishHub

@Suite("Lease rules")
struct LeaseRulesTests {
  static let now: Int64 = 1_000_000
  static func lease(_ session: String, _ pattern: String, exclusive: Bool = true, expires: Int64 = now + 60_000) -> Lease {
    Lease(id: 1, sessionID: session, pattern: pattern, exclusive: exclusive, expiresMs: expires)
  }

  @Test(arguments: [
    ("src/**", "src/a.swift", true),
    ("src/**", "src", true),
    ("src/*.swift", "src/**", true),
    ("src/a.swift", "src/a.swift", true),
    ("src/", "src/deep/a.swift", true),
    ("docs/**", "src/**", false),
    ("src/a.swift", "src/b.swift", false),
    ("*.md", "README.md", true),
    ("*.md", "src/a.swift", false),
    ("src/*.swift", "docs/*.md", false),
    ("**/*.md", "src/*.swift", true),
  ])
  func patternsOverlap(a: String, b: String, overlap: Bool) {
    #expect(LeaseRules.patternsOverlap(a, b) == overlap)
    #expect(LeaseRules.patternsOverlap(b, a) == overlap, "overlap is symmetric")
  }

  @Test func exclusiveLeasesBlockOtherSessionsWritesOnly() {
    let leases = [Self.lease("A", "src/**"), Self.lease("B", "docs/api.md", exclusive: false)]
    #expect(LeaseRules.blocking(path: "src/x/y.swift", session: "B", leases: leases, nowMs: Self.now)?.sessionID == "A")
    #expect(LeaseRules.blocking(path: "src/x/y.swift", session: "A", leases: leases, nowMs: Self.now) == nil, "the holder writes freely")
    #expect(LeaseRules.blocking(path: "docs/api.md", session: "A", leases: leases, nowMs: Self.now) == nil, "a shared lease blocks no write")
    #expect(LeaseRules.blocking(path: "README.md", session: "B", leases: leases, nowMs: Self.now) == nil)
    let expired = [Self.lease("A", "src/**", expires: Self.now - 1)]
    #expect(LeaseRules.blocking(path: "src/a", session: "B", leases: expired, nowMs: Self.now) == nil, "an expired lease binds nobody")
  }

  @Test func claimsCollideByMode() {
    let leases = [Self.lease("A", "src/**", exclusive: false)]
    #expect(LeaseRules.conflicts(pattern: "src/a.swift", exclusive: false, session: "B", leases: leases, nowMs: Self.now).isEmpty, "shared with shared")
    #expect(LeaseRules.conflicts(pattern: "src/a.swift", exclusive: true, session: "B", leases: leases, nowMs: Self.now).count == 1, "exclusive over shared")
    #expect(LeaseRules.conflicts(pattern: "src/a.swift", exclusive: true, session: "A", leases: leases, nowMs: Self.now).isEmpty, "one's own lease")
    #expect(LeaseRules.conflicts(pattern: "docs/**", exclusive: true, session: "B", leases: leases, nowMs: Self.now).isEmpty)
  }

  /// Paths as a session's server takes them: the lease check must see "calc/ops.py" in each spelling of it.
  @Test(arguments: [
    ("calc/ops.py", "calc/ops.py"),
    ("./calc//ops.py", "calc/ops.py"),
    ("calc/../calc/ops.py", "calc/ops.py"),
    ("/repo/.mish/worktrees/w1/calc/ops.py", "calc/ops.py"),
    ("/repo/.mish/worktrees/w1/./calc/x/../ops.py", "calc/ops.py"),
    ("/real/w1/calc/ops.py", "calc/ops.py"),
    ("/repo/.mish/worktrees/w1", ""),
    (".", ""),
    ("/repo/.mish/worktrees/w10/calc/ops.py", nil),
    ("/etc/passwd", nil),
    ("../w2/calc/ops.py", nil),
  ] as [(String, String?)])
  func pathsAreRelativeToTheWorktree(path: String, relative: String?) {
    #expect(LeaseRules.relativePath(path, roots: ["/repo/.mish/worktrees/w1", "/real/w1"]) == relative)
  }

  static let writes: [(String, JSONValue, [String]?)] = [
    ("fs/write", ["path": "a.txt", "content": "x"], ["a.txt"]),
    ("fs/edit", ["path": "src/a.swift", "edits": []], ["src/a.swift"]),
    ("fs/move", ["from": "a", "to": "b/c"], ["a", "b/c"]),
    ("fs/remove", ["path": "old"], ["old"]),
    ("git/restore", ["paths": ["x", "y"]], ["x", "y"]),
    ("fs/patch", ["patch": .string("*** Begin Patch\n*** Update File: src/a.swift\n@@\n-a\n+b\n*** Add File: docs/new.md\n+hi\n*** End Patch\n")], ["src/a.swift", "docs/new.md"]),
    ("fs/patch", ["patch": .string("--- a/lib/x.c\n+++ b/lib/x.c\n@@ -1 +1 @@\n-a\n+b\n--- /dev/null\n+++ b/lib/new.c\n")], ["lib/x.c", "lib/new.c"]),
    ("fs/read", ["path": "a.txt"], nil),
    ("exec/run", ["command": "rm -rf src"], nil),
  ]

  @Test(arguments: writes)
  func writtenPaths(method: String, params: JSONValue, expected: [String]?) {
    #expect(LeaseRules.writtenPaths(method: method, params: params) == expected)
  }
}
