import Foundation

/// A git command that exited non-zero when the test did not allow it.
public struct GitCommandFailure: Error, CustomStringConvertible {
  public var description: String
}

/// Runs the git CLI in `directory`, the reference the git tests compare mish with: a fixed identity (Test
/// <test@example.com>), `main` as the initial branch and file:// submodules allowed. Returns the exit status and
/// stdout (stderr is dropped); throws on a non-zero exit unless `allowFailure`. `hermetic` also hides the user's and
/// the system's configuration and every GIT_* variable, so a developer's settings cannot change the result.
@discardableResult
public func runGit(
  _ arguments: [String], in directory: String, allowFailure: Bool = false, hermetic: Bool = false
) throws -> (status: Int32, output: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
  process.arguments =
    [
      "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main",
      "-c", "protocol.file.allow=always",
    ] + arguments
  process.currentDirectoryURL = URL(fileURLWithPath: directory)
  if hermetic {
    var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GIT_") }
    environment["GIT_CONFIG_NOSYSTEM"] = "1"
    environment["HOME"] = directory
    process.environment = environment
  }
  let output = Pipe()
  process.standardOutput = output
  process.standardError = FileHandle.nullDevice
  try process.run()
  let data = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  if !allowFailure && process.terminationStatus != 0 {
    throw GitCommandFailure(description: "git \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
  }
  return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
