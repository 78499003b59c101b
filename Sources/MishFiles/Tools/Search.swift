import MishJSON
import MishRPC
import MishSearch

extension FileTools {
  /// Maps the search engine's errors onto the wire codes every file tool uses.
  static func toolError(_ error: any Error) -> ToolError {
    guard let error = error as? SearchError else {
      return ToolError(.io, "Search failed: \(error)", hint: "Retry; if it persists, narrow the path.")
    }
    let code: ToolError.Code
    switch error.code {
    case .outsideRoot: code = .outsideRoot
    case .notFound: code = .notFound
    case .notDirectory: code = .notADirectory
    case .invalidPattern, .invalidCursor: code = .invalidArgument
    case .cancelled: code = .cancelled
    default: code = .io
    }
    return ToolError(code, error.message, hint: error.hint)
  }

  static func searchRoot(_ workspace: Workspace, _ path: String?) throws(ToolError) -> (SearchRoot, String) {
    (SearchRoot(fd: workspace.fd), try workspace.confined(path ?? "", doing: "searching"))
  }

  /// Compiles a glob given to fs/glob or fs/grep. Agents often spell globs as absolute paths
  /// (`/repo/src/**/*.ts`): one that starts with the root, and the searched directory beneath it, is made relative to
  /// that directory, since otherwise its leading `/` would anchor it at the searched directory and match nothing.
  static func globPattern(_ text: String, _ workspace: Workspace, searching path: String) throws(ToolError) -> GlobPattern {
    var pattern = text
    if text.hasPrefix("/") {
      for root in [workspace.rootPath, workspace.givenRootPath] {
        let prefix = root == "/" ? "/" : root + "/"
        guard text.hasPrefix(prefix) else { continue }
        let fromRoot = String(text.dropFirst(prefix.count))
        let directory = path.isEmpty ? "" : path + "/"
        guard fromRoot.hasPrefix(directory) else {
          throw ToolError(
            .invalidArgument, "The glob \(text.debugDescription) is not beneath the searched directory \(path.debugDescription)",
            hint: "Write the glob relative to path (e.g. \"**/*.ts\"), or search a directory that holds it.")
        }
        pattern = String(fromRoot.dropFirst(directory.count))
        break
      }
    }
    do { return try GlobPattern(pattern) } catch { throw toolError(error) }
  }

  static func list(_ workspace: Workspace) -> OperationSpec {
    OperationSpec(
      name: "fs/list", title: "List directory",
      summary: "List a directory's entries (to a depth) with type and size, depth-first in name order; .gitignore'd and hidden entries are left out unless asked. Paged with cursors.",
      params: Schema.object(
        nil,
        [
          "path": .optional(dirSchema),
          "depth": .optional(Schema.integer("Levels to descend: 1 lists the directory's own entries.", minimum: 1, maximum: 64, default: 1)),
          "include_hidden": .optional(Schema.boolean("Include dotfiles (.git is never listed).", default: false)),
          "respect_gitignore": .optional(Schema.boolean("Leave out what .gitignore ignores.", default: true)),
          "cursor": .optional(cursorSchema),
          "limit": .optional(Schema.integer("Most entries per page.", minimum: 1, maximum: 10_000, default: 500)),
        ]),
      result: Schema.object(
        nil,
        [
          "entries": .required(
            Schema.array(
              "Entries, paths relative to the root.",
              of: Schema.object(
                nil,
                [
                  "path": .required(Schema.string()),
                  "type": .required(Schema.string(enum: ["file", "dir", "symlink", "other"])),
                  "size": .required(Schema.nullable(Schema.integer("Size of a file in bytes.", minimum: 0))),
                ]))),
          "next_cursor": .required(nextCursorSchema),
        ]),
      annotations: .readOnly,
      footprint: reads(workspace, "path"),
      render: { result in
        let entries = result["entries"]?.arrayValue ?? []
        var lines = entries.map { entry -> String in
          let path = entry["path"]?.stringValue ?? ""
          switch entry["type"]?.stringValue {
          case "dir": return path + "/"
          case "symlink": return path + "@"
          default: return entry["size"]?.intValue.map { "\(path)  (\($0) bytes)" } ?? path
          }
        }
        if entries.isEmpty { lines.append("(empty)") }
        if let cursor = result["next_cursor"]?.stringValue { lines.append("[more entries: cursor=\(cursor)]") }
        return lines.joined(separator: "\n")
      },
      handler: .blocking { args, context throws(ToolError) in
        let (root, path) = try searchRoot(workspace, args.string("path"))
        let query = ListQuery(
          path: path, depth: args.int("depth") ?? 1, includeHidden: args.bool("include_hidden", default: false),
          respectGitignore: args.bool("respect_gitignore", default: true), cursor: args.string("cursor"),
          limit: args.int("limit") ?? 500)
        let page: ListPage
        do { page = try root.list(query, isCancelled: { context.isCancelled }) } catch { throw toolError(error) }
        let entries: [JSONValue] = page.entries.map { entry in
          ["path": .string(entry.path), "type": .string(entry.type.rawValue), "size": entry.size.map { .int(Int($0)) } ?? .null]
        }
        return ["entries": .array(entries), "next_cursor": JSONValue(page.nextCursor)]
      })
  }

  static func glob(_ workspace: Workspace) -> OperationSpec {
    OperationSpec(
      name: "fs/glob", title: "Find files by pattern",
      summary: "Find files whose path matches a glob (`**/*.swift`, `src/*.{ts,tsx}`); a pattern without `/` matches file names at any depth; a pattern ending in `/` finds directories instead (`src/*/`). .gitignore is respected. Paged with cursors.",
      params: Schema.object(
        nil,
        [
          "pattern": .required(Schema.string("Glob: `*` within a name, `**` across directories, `?`, `[a-z]`, `{a,b}`.", minLength: 1)),
          "path": .optional(dirSchema),
          "cursor": .optional(cursorSchema),
          "limit": .optional(Schema.integer("Most paths per page.", minimum: 1, maximum: 10_000, default: 500)),
          "include_hidden": .optional(Schema.boolean("Search dot-directories too (by default only when the pattern names one).")),
          "respect_gitignore": .optional(Schema.boolean("Leave out what .gitignore ignores.", default: true)),
        ]),
      result: Schema.object(
        nil,
        [
          "paths": .required(Schema.array("Matching paths relative to the root, in walk order.", of: Schema.string())),
          "next_cursor": .required(nextCursorSchema),
        ]),
      annotations: .readOnly,
      footprint: reads(workspace, "path"),
      render: { result in
        let paths = result["paths"]?.arrayValue?.compactMap(\.stringValue) ?? []
        var text = paths.isEmpty ? "(no matches; fs_glob finds files, and directories only with a pattern ending in /, e.g. src/*/)" : paths.joined(separator: "\n")
        if let cursor = result["next_cursor"]?.stringValue { text += "\n[more paths: cursor=\(cursor)]" }
        return text
      },
      handler: .blocking { args, context throws(ToolError) in
        let (root, path) = try searchRoot(workspace, args.string("path"))
        let pattern = try globPattern(try args.require("pattern"), workspace, searching: path)
        let query = GlobQuery(
          pattern: pattern, path: path, cursor: args.string("cursor"), limit: args.int("limit") ?? 500,
          includeHidden: args["include_hidden"]?.boolValue, respectGitignore: args.bool("respect_gitignore", default: true))
        let page: GlobPage
        do { page = try root.glob(query, isCancelled: { context.isCancelled }) } catch { throw toolError(error) }
        return ["paths": JSONValue(page.paths), "next_cursor": JSONValue(page.nextCursor)]
      })
  }

  /// grep's compact text, as ripgrep prints it: `path:line:column: text` for a match, `path-line-text` for context.
  /// Context shared by nearby matches is printed once and in line order, and `--` separates groups that are not
  /// contiguous, so the text reads as the file does.
  static func renderMatches(_ matches: [JSONValue]) -> [String] {
    let hasContext = matches.contains {
      !($0["before"]?.arrayValue?.isEmpty ?? true) || !($0["after"]?.arrayValue?.isEmpty ?? true)
    }
    var lines: [String] = []
    var last: (path: String, line: Int)? = nil
    func emit(_ path: String, _ number: Int, _ text: String) {
      if let last, last.path == path, number <= last.line { return }
      if hasContext, let last, last.path != path || number != last.line + 1 { lines.append("--") }
      lines.append(text)
      last = (path, number)
    }
    for (index, match) in matches.enumerated() {
      let path = match["path"]?.stringValue ?? ""
      let line = match["line"]?.intValue ?? 0
      let before = match["before"]?.arrayValue?.compactMap(\.stringValue) ?? []
      for (offset, text) in before.enumerated() {
        let number = line - before.count + offset
        emit(path, number, "\(path)-\(number)-\(text)")
      }
      emit(path, line, "\(path):\(line):\(match["column"]?.intValue ?? 0): \(match["text"]?.stringValue ?? "")")
      // Context that reaches the next match in the same file is left to that match.
      var stop = Int.max
      if index + 1 < matches.count, matches[index + 1]["path"]?.stringValue == path {
        stop = matches[index + 1]["line"]?.intValue ?? Int.max
      }
      for (offset, text) in (match["after"]?.arrayValue?.compactMap(\.stringValue) ?? []).enumerated() {
        let number = line + 1 + offset
        guard number < stop else { break }
        emit(path, number, "\(path)-\(number)-\(text)")
      }
    }
    return lines
  }

  static func grep(_ workspace: Workspace) -> OperationSpec {
    let matchSchema = Schema.object(
      nil,
      [
        "path": .required(Schema.string()),
        "line": .required(Schema.integer("1-based line number.", minimum: 1)),
        "column": .required(Schema.integer("1-based byte column of the match in the line.", minimum: 1)),
        "text": .required(Schema.string("The matching line (long lines cut around the match).")),
        "before": .required(Schema.array("Context lines before.", of: Schema.string())),
        "after": .required(Schema.array("Context lines after.", of: Schema.string())),
      ])
    return OperationSpec(
      name: "fs/grep", title: "Search file contents",
      summary: "Search files for a regex (PCRE-like: \\d \\w \\s \\b, groups) or a literal, in parallel; .gitignore'd, hidden and binary files are skipped. Results in path order, paged with cursors.",
      params: Schema.object(
        nil,
        [
          "pattern": .required(Schema.string("What to find.", minLength: 1)),
          "regex": .optional(Schema.boolean("Treat pattern as a regular expression; false for a literal string.", default: true)),
          "case_insensitive": .optional(Schema.boolean(default: false)),
          "glob": .optional(Schema.string("Only search files whose path (relative to `path`) matches this glob, e.g. `*.swift` or `src/**/*.ts`; a leading `!` leaves matching files and directories out instead, e.g. `!tests` or `!*.min.js`.")),
          "path": .optional(dirSchema),
          "context_lines": .optional(Schema.integer("Lines of context before and after each match.", minimum: 0, maximum: 20, default: 0)),
          "max_results": .optional(Schema.integer("Most matches per page.", minimum: 1, maximum: 5000, default: 200)),
          "cursor": .optional(cursorSchema),
          "include_hidden": .optional(Schema.boolean("Search dotfiles too.", default: false)),
          "respect_gitignore": .optional(Schema.boolean("Skip what .gitignore ignores.", default: true)),
        ]),
      result: Schema.object(
        nil,
        [
          "matches": .required(Schema.array(of: matchSchema)),
          "next_cursor": .required(nextCursorSchema),
          "files_searched": .required(Schema.integer(minimum: 0)),
          "files_skipped": .required(Schema.integer("Files passed over as binary (a NUL byte in the first 8 KiB), larger than 50 MiB, or unreadable.", minimum: 0)),
          "truncated": .required(Schema.boolean("True when more matches exist beyond this page.")),
        ]),
      annotations: .readOnly,
      footprint: reads(workspace, "path"),
      render: { result in
        let matches = result["matches"]?.arrayValue ?? []
        var lines = renderMatches(matches)
        let searched = result["files_searched"]?.intValue ?? 0
        let skipped = result["files_skipped"]?.intValue ?? 0
        if matches.isEmpty {
          if skipped > 0 {
            lines.append("(no matches in \(searched) files; \(skipped) skipped as binary, larger than 50 MiB or unreadable)")
          } else if searched == 0 {
            lines.append("(no matches: no file was searched; the path holds no file that passes the glob (relative to path), .gitignore and hidden filters)")
          } else {
            lines.append("(no matches in \(searched) files)")
          }
        }
        if let cursor = result["next_cursor"]?.stringValue { lines.append("[more matches: cursor=\(cursor)]") }
        return clip(lines.joined(separator: "\n"), maxBytes: 16_000)
      },
      handler: .blocking { args, context throws(ToolError) in
        let (root, path) = try searchRoot(workspace, args.string("path"))
        var glob: GlobPattern?
        var excludeGlob: GlobPattern?
        if let text = args.string("glob") {
          if text.hasPrefix("!") {
            excludeGlob = try globPattern(String(text.dropFirst()), workspace, searching: path)
          } else {
            glob = try globPattern(text, workspace, searching: path)
          }
        }
        let query = GrepQuery(
          pattern: try args.require("pattern"), isRegex: args.bool("regex", default: true),
          caseInsensitive: args.bool("case_insensitive", default: false), glob: glob, path: path,
          contextLines: args.int("context_lines") ?? 0, maxResults: args.int("max_results") ?? 200,
          cursor: args.string("cursor"), includeHidden: args.bool("include_hidden", default: false),
          respectGitignore: args.bool("respect_gitignore", default: true), excludeGlob: excludeGlob)
        let result: GrepResult
        do { result = try root.grep(query, isCancelled: { context.isCancelled }) } catch { throw toolError(error) }
        let matches: [JSONValue] = result.matches.map { match in
          [
            "path": .string(match.path), "line": .int(match.line), "column": .int(match.column), "text": .string(match.text),
            "before": JSONValue(match.before), "after": JSONValue(match.after),
          ]
        }
        return [
          "matches": .array(matches), "next_cursor": JSONValue(result.nextCursor),
          "files_searched": .int(result.filesSearched), "files_skipped": .int(result.filesSkipped),
          "truncated": .bool(result.truncated),
        ]
      })
  }
}
