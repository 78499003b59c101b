import MishExec
import MishFiles
import MishGit
import MishJSON
import MishRPC
import MishSandbox
import MishServer

/// Assembles the session server (`mish serve --root DIR`): one registry of every session operation.
public enum SessionServer {
  public static let instructions = """
    mish confines you to one directory (the root). Paths are relative to it. Read before you edit: fs_read returns \
    the file's sha256, which fs_write/fs_edit accept as expected_sha256 so a change never lands on a file you have \
    not seen. fs_edit needs old_text to match exactly once; failures show the nearest near-miss. fs_patch applies \
    multi-file patches all or none. exec_run runs commands in a sandbox (writes only inside the root and a private \
    /tmp, no network by default); a long one returns running: true with a process_id to poll with process_read. \
    git_status, git_diff, git_commit and friends work on the repository in-process (no hooks run); \
    git_checkpoint saves and restores the whole work tree. session_info tells what confines you.
    """

  public static func registry(workspace: Workspace, exec: ExecEngine, options: ServerOptions = ServerOptions()) -> Registry {
    let limits: JSONObject = [
      "max_frame_bytes": .int(options.maxFrameBytes),
      "read_default_lines": .int(2000),
      "read_default_bytes": .int(100_000),
      "max_file_bytes": .int(512 << 20),
    ]
    return Registry(
      [SessionInfo.operation(workspace, launcher: exec.launcher, defaultProfile: exec.defaultProfile, limits: limits)] + FileTools.operations(workspace)
        + ExecTools.operations(exec) + GitTools.operations(GitSession(workspace: workspace)))
  }

  /// An engine for listing or describing the tools: it starts nothing until a command runs.
  public static func idleExec(_ workspace: Workspace) -> ExecEngine {
    ExecEngine(workspace: workspace, launcher: Launcher(), stateDirectory: nil, log: { _ in })
  }

  public static var identity: ServerIdentity {
    ServerIdentity(name: "mish", title: "mish (machine-interface shell)", version: MishVersion.string, instructions: instructions)
  }
}
