import Foundation
import MishExec
import MishFiles
import MishGit
import MishHub
import MishJSON
import MishRPC
import MishSandbox
import MishServer
import MishSession

public enum MishCLI {
  public static func main() -> Never { run(Array(CommandLine.arguments.dropFirst())) }

  /// Runs one command line (without the program name); also how a forked session server starts.
  static func run(_ arguments: [String]) -> Never {
    let command: Command
    do {
      command = try CommandLineParser.parse(arguments)
    } catch {
      FileHandle.standardError.write(Data("mish: \(error.message)\n\n\(CommandLineParser.usage)\n".utf8))
      exit(64)
    }
    switch command {
    case .help:
      print(CommandLineParser.usage)
      exit(0)
    case .version:
      print("mish \(MishVersion.string)")
      exit(0)
    case .serve(let root, let logLevel, let maxFrameBytes, let stateDir, let profile, let limits):
      serve(root: root, logLevel: logLevel, maxFrameBytes: maxFrameBytes, stateDir: stateDir, profileName: profile, limits: limits.flatMap(Profile.LimitOverrides.init(parsing:)) ?? .init())
    case .call(let method, let params, let root):
      exit(call(method: method, params: params, root: root))
    case .tools(let root):
      exit(listTools(root: root))
    case .schemas(let directory, let check):
      exit(SchemaFiles.run(directory: directory, check: check, extra: HubTools.operations(nil), documents: HubTools.documents))
    case .profiles(let directory, let check):
      exit(ProfileFiles.run(directory: directory, check: check))
    case .demo(let directory):
      exit(HubDemo.run(directory: directory))
    case .hub(let repo, let pool, let logLevel, let stuckAfterMs):
      HubCommand.serve(repo: repo, pool: pool, logLevel: logLevel, stuckAfterMs: stuckAfterMs)
    case .hubStatus(let repo, let json):
      exit(HubCommand.status(repo: repo, json: json))
    case .connect(let session, let repo):
      exit(HubCommand.connect(session: session, repo: repo))
    case .sessionZygote:
      SessionZygote.run()
    case .mergeTree(let repo, let count, let ours, let theirs):
      exit(mergeTree(repo: repo, repeat: count, ours: ours, theirs: theirs))
    }
  }

  static func fail(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("mish: \(message)\n".utf8))
    exit(code)
  }

  static func serve(root: String, logLevel: String, maxFrameBytes: Int?, stateDir: String?, profileName: String?, limits: Profile.LimitOverrides) -> Never {
    signal(SIGPIPE, SIG_IGN)
    // Protocol bytes get a private copy of stdout; fd 1 becomes stderr, so a stray print can never corrupt a frame.
    let protocolFD = fcntl(1, F_DUPFD_CLOEXEC, 3)
    guard protocolFD >= 0 else { fail("cannot duplicate stdout: \(String(cString: strerror(errno)))") }
    dup2(2, 1)
    let logger = Logger(level: Logger.Level(name: logLevel) ?? .info)
    let workspace: Workspace
    do {
      workspace = try Workspace(root: root)
    } catch {
      fail("\(error.message). \(error.hint)")
    }
    var options = ServerOptions()
    if let maxFrameBytes { options.maxFrameBytes = maxFrameBytes }
    var profile = Profile.standard
    if let profileName {
      guard let named = Profile.named(profileName) else {
        fail("unknown profile \(profileName); use one of \(Profile.builtIn.map(\.name).joined(separator: ", "))", code: 64)
      }
      profile = named
    }
    let exec = ExecEngine(workspace: workspace, launcher: Launcher(), stateDirectory: stateDir, defaultProfile: profile, limitOverrides: limits, log: { logger.warning($0) })
    let server = Server(
      registry: SessionServer.registry(workspace: workspace, exec: exec, options: options), identity: SessionServer.identity,
      options: options, logger: logger, outputFD: protocolFD)
    logger.info("serving \(workspace.rootPath) on stdio (mish \(MishVersion.string))")
    let plan = exec.launcher.plan(profile)
    if let refusal = plan.refusal { logger.warning("commands will be refused: \(refusal)") }
    for layer in plan.layers where !layer.enforced && layer.requirement != .off {
      logger.warning("sandbox layer \(layer.layer.rawValue) not applied: \(layer.reason)")
    }
    server.run(inputFD: 0)
    logger.info("end of input; exiting")
    exec.close()
    exit(0)
  }

  static func call(method: String, params: String?, root: String) -> Int32 {
    var parsed: JSONValue = [:]
    if let params {
      do {
        parsed = try JSONParser.parse(params)
      } catch {
        FileHandle.standardError.write(Data("mish: the params are not valid JSON (\(error)); pass one JSON object, e.g. '{\"path\":\"README.md\"}'\n".utf8))
        return 64
      }
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
      FileHandle.standardError.write(Data("mish: --root \(root) is not a directory; pass the directory the server may work in\n".utf8))
      return 64
    }
    do {
      let client = try StdioClient(executable: StdioClient.currentExecutable, root: root)
      let reply = try client.request(method, parsed)
      _ = client.close()
      if let error = reply["error"] {
        print(JSONWriter.pretty(["error": error]), terminator: "")
        return 1
      }
      let result = reply["result"] ?? .null
      print(JSONWriter.pretty(result), terminator: "")
      return result["isError"]?.boolValue == true ? 1 : 0
    } catch {
      FileHandle.standardError.write(Data("mish: \(error)\n".utf8))
      return 1
    }
  }

  /// `mish merge-tree`: the merge queue's in-memory merge (`MergeRepository`) of two commits, run `count` times on
  /// one repository handle, so bench/merge can read the in-process cost apart from the process's start. Each run
  /// is what the lander does per change: the merge base, the three trees, the merge.
  static func mergeTree(repo: String, repeat count: Int, ours: String, theirs: String) -> Int32 {
    do throws(GitError) {
      let repository = try MergeRepository(path: repo)
      let (ourCommit, theirCommit) = (try repository.commit(ours), try repository.commit(theirs))
      let clock = ContinuousClock()
      var milliseconds: [JSONValue] = []
      var base: String?
      var result: TreeMergeResult?
      for _ in 0..<count {
        let start = clock.now
        base = try repository.mergeBase(ourCommit, theirCommit)
        let baseTree = try base.map { sha throws(GitError) in try repository.tree(ofCommit: sha) }
        result = try repository.mergeTrees(
          base: baseTree, ours: try repository.tree(ofCommit: ourCommit), theirs: try repository.tree(ofCommit: theirCommit))
        let elapsed = (clock.now - start).components
        let ms = Double(elapsed.seconds) * 1e3 + Double(elapsed.attoseconds) / 1e15
        milliseconds.append(.double((ms * 1000).rounded() / 1000))
      }
      var output: JSONObject = [:]
      let stats: TreeMergeStats
      switch result {
      case .clean(let tree, let cleanStats):
        output["clean"] = true
        output["tree"] = .string(tree)
        stats = cleanStats
      case .conflicts(let conflicts, let conflictStats):
        output["clean"] = false
        output["conflicts"] = .array(conflicts.map(\.json))
        stats = conflictStats
      case nil:
        return 2  // never: the parser keeps `count` ≥ 1
      }
      output["base"] = base.map(JSONValue.string) ?? .null
      output["ms"] = .array(milliseconds)
      output["trees_visited"] = .int(stats.treesVisited)
      output["files_merged"] = .int(stats.filesMerged)
      print(JSONWriter.string(.object(output)))
      return output["clean"] == true ? 0 : 1
    } catch {
      let failure = error.toolError
      FileHandle.standardError.write(Data("mish: merge-tree: \(failure.message). \(failure.hint)\n".utf8))
      return 2
    }
  }

  static func listTools(root: String) -> Int32 {
    let workspace: Workspace
    do {
      workspace = try Workspace(root: root)
    } catch {
      fail("\(error.message). \(error.hint)")
    }
    for operation in SessionServer.registry(workspace: workspace, exec: SessionServer.idleExec(workspace)).operations {
      let a = operation.annotations
      let kind = a.readOnly ? "read-only" : (a.destructive ? "destructive" : "writes")
      print("\(operation.toolName)  (\(operation.name), \(kind))")
      print("    \(operation.summary)")
      let properties = operation.params["properties"]?.objectValue ?? JSONObject()
      let required = Set(operation.params["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
      for (name, schema) in properties {
        let type = schema["type"].map { $0.stringValue ?? JSONWriter.string($0) } ?? "any"
        let marker = required.contains(name) ? "required" : "optional"
        print("    - \(name): \(type), \(marker). \(schema["description"]?.stringValue ?? "")")
      }
      print("")
    }
    return 0
  }
}
