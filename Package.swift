// swift-tools-version:6.0
// mish — machine-interface shell.
//
// Rules for this file: one `// MARK:` section per module beside its tests, one dependency per line, nothing from
// outside the Swift toolchain (system C libraries come through system-library targets). Docs/Modules.md says what
// each module owns and what it may import.
import PackageDescription

var targets: [Target] = []

// MARK: - C libraries and shims

targets += [
  // libc-only helpers for syscalls Glibc does not expose (openat2, renameat2).
  .target(name: "CMishSys"),
  // OpenSSL's libcrypto, for SHA-256 at hardware speed.
  .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
  // libseccomp, to build and export the BPF filter in the server (the child only loads the BPF).
  .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
  // The sandbox launcher's shared definitions and server-side helpers (libc only).
  .target(name: "CSpawn"),
  // The sandbox zygote the server spawns per profile (libc only): namespaces, mounts, then one init per command.
  .executableTarget(name: "mish-sandbox", dependencies: ["CSpawn"]),
  // libgit2, for the git tools in-process.
  .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
  // SQLite, for the hub's journal.
  .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
]

// MARK: - Test support shared by every test target (seeded generator)

targets += [
  .target(name: "MishTestSupport", path: "Tests/MishTestSupport"),
]

// MARK: - MishJSON: values, parser, serializer, JSON Schema

targets += [
  .target(name: "MishJSON"),
  .testTarget(name: "MishJSONTests", dependencies: ["MishJSON", "MishTestSupport"]),
]

// MARK: - MishRPC: JSON-RPC messages, framing, errors, the operation registry

targets += [
  .target(name: "MishRPC", dependencies: ["MishJSON"]),
  .testTarget(name: "MishRPCTests", dependencies: ["MishRPC", "MishJSON", "MishTestSupport"]),
]

// MARK: - MishText: pure text logic (EOL, edit matching, diffs, patches)

targets += [
  .target(name: "MishText"),
  .testTarget(name: "MishTextTests", dependencies: ["MishText", "MishTestSupport"]),
]

// MARK: - MishSearch: gitignore, glob, directory walking, grep

targets += [
  .target(name: "MishSearch", dependencies: ["CMishSys"]),
  .testTarget(name: "MishSearchTests", dependencies: ["MishSearch", "MishTestSupport"]),
]

// MARK: - MishFiles: confinement beneath the root and the fs/* tools

targets += [
  .target(
    name: "MishFiles",
    dependencies: [
      "CCrypto",
      "CMishSys",
      "MishJSON",
      "MishRPC",
      "MishSearch",
      "MishText",
    ]
  ),
  .testTarget(name: "MishFilesTests", dependencies: ["MishFiles", "MishJSON", "MishRPC", "MishTestSupport"]),
]

// MARK: - MishSandbox: profiles, kernel probe, seccomp policy, cgroups, the launcher

targets += [
  .target(name: "MishSandbox", dependencies: ["CSeccomp", "CSpawn", "MishJSON"]),
  .testTarget(name: "MishSandboxTests", dependencies: ["MishSandbox", "MishJSON", "MishTestSupport"]),
]

// MARK: - MishReports: test reports (JUnit, TAP, event streams, JSON) and compiler diagnostics, parsed (pure)

targets += [
  .target(name: "MishReports", dependencies: ["MishJSON"]),
  .testTarget(name: "MishReportsTests", dependencies: ["MishReports", "MishTestSupport"]),
]

// MARK: - MishExec: exec/run, processes, output capture and spilled logs, test/run and build/run

targets += [
  .target(
    name: "MishExec",
    dependencies: [
      "CMishSys",
      "CSpawn",
      "MishFiles",
      "MishJSON",
      "MishReports",
      "MishRPC",
      "MishSandbox",
    ]
  ),
  .testTarget(name: "MishExecTests", dependencies: ["MishExec", "MishFiles", "MishJSON", "MishReports", "MishRPC", "MishTestSupport"]),
]

// MARK: - MishGit: the git tools through libgit2, one serial queue per repository

targets += [
  .target(
    name: "MishGit",
    dependencies: [
      "CGit2",
      "MishFiles",
      "MishJSON",
      "MishRPC",
    ]
  ),
  .testTarget(name: "MishGitTests", dependencies: ["MishGit", "MishJSON", "MishTestSupport"]),
]

// MARK: - MishServer: stdio transport, dispatch, MCP and native faces

targets += [
  .target(name: "MishServer", dependencies: ["MishJSON", "MishRPC"]),
  .testTarget(
    name: "MishServerTests",
    dependencies: [
      "MishCLI",
      "MishTestSupport",
      "MishJSON",
      "MishRPC",
      "MishServer",
      "MishSession",
    ]
  ),
]

// MARK: - MishSession: the session server's registry and session/info

targets += [
  .target(
    name: "MishSession",
    dependencies: [
      "MishExec",
      "MishFiles",
      "MishGit",
      "MishJSON",
      "MishRPC",
      "MishSandbox",
      "MishServer",
    ]
  ),
]

// MARK: - MishHub: the orchestrator (sessions on worktrees, routing, events, leases, journal)

targets += [
  .target(
    name: "MishHub",
    dependencies: [
      "CSQLite",
      "CSpawn",
      "MishGit",
      "MishJSON",
      "MishRPC",
      "MishSearch",
    ]
  ),
  .testTarget(name: "MishHubTests", dependencies: ["MishHub", "MishJSON", "MishRPC", "MishTestSupport"]),
]

// MARK: - MishCLI and the `mish` executable

targets += [
  .target(
    name: "MishCLI",
    dependencies: [
      "CSpawn",
      "MishExec",
      "MishFiles",
      "MishGit",
      "MishHub",
      "MishJSON",
      "MishRPC",
      "MishSandbox",
      "MishServer",
      "MishSession",
    ]
  ),
  .executableTarget(name: "mish", dependencies: ["MishCLI"]),
  .testTarget(name: "MishCLITests", dependencies: ["MishCLI", "MishHub", "MishJSON", "MishSession", "MishTestSupport"]),
]

let package = Package(
  name: "mish",
  products: [.executable(name: "mish", targets: ["mish"]), .executable(name: "mish-sandbox", targets: ["mish-sandbox"])],
  targets: targets
)

for target in package.targets where target.type != .system && target.name != "mish-sandbox" {
  var settings = target.swiftSettings ?? []
  settings.append(.swiftLanguageMode(.v6))
  target.swiftSettings = settings
}
