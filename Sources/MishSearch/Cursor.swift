import Foundation

/// Root-relative paths as the module handles them: `/`-separated, no leading slash, no `.`/`..`/empty components.
enum RelativePath {
  /// Lexically normalizes `path`: drops `.` and empty components and folds `..`. Throws `.outsideRoot` for absolute
  /// paths and for `..` that climbs above the root.
  static func normalize(_ path: String) throws -> String {
    if path.hasPrefix("/") {
      throw SearchError(
        .outsideRoot, "path \"\(path)\" is absolute",
        hint: "Pass a path relative to the root, such as \"src\" (or \"\" for the root itself).")
    }
    var components: [Substring] = []
    for component in path.split(separator: "/", omittingEmptySubsequences: true) {
      switch component {
      case ".": continue
      case "..":
        guard !components.isEmpty else {
          throw SearchError(
            .outsideRoot, "path \"\(path)\" leaves the root",
            hint: "Remove the leading \"..\"; paths are relative to the root and cannot leave it.")
        }
        components.removeLast()
      default: components.append(component)
      }
    }
    return components.joined(separator: "/")
  }

  static func join(_ base: [UInt8], _ name: ArraySlice<UInt8>) -> [UInt8] {
    if base.isEmpty { return Array(name) }
    var path = base
    path.reserveCapacity(base.count + 1 + name.count)
    path.append(slash)
    path.append(contentsOf: name)
    return path
  }

  static func components(_ path: [UInt8]) -> [[UInt8]] {
    path.split(separator: slash, omittingEmptySubsequences: true).map { Array($0) }
  }

  /// Whether `path` lies strictly beneath `directory` ("" = the root).
  static func isBeneath(_ path: [UInt8], _ directory: [UInt8]) -> Bool {
    if directory.isEmpty { return !path.isEmpty }
    return path.count > directory.count + 1 && path[directory.count] == slash && path.starts(with: directory)
  }
}

/// Opaque pagination cursors: base64url of a tag, the last returned path, and for grep the last returned line.
/// Resuming walks the tree again and skips, without reading, every subtree that sorts before the cursor path.
enum SearchCursor {
  enum Kind: String {
    case list = "l1"
    case glob = "p1"
    case grep = "g1"

    var toolName: String {
      switch self {
      case .list: return "fs/list"
      case .glob: return "fs/glob"
      case .grep: return "fs/grep"
      }
    }
  }

  static func encode(_ kind: Kind, path: [UInt8], line: Int? = nil) -> String {
    var bytes = Array(kind.rawValue.utf8)
    bytes.append(0)
    bytes.append(contentsOf: path)
    if let line {
      bytes.append(0)
      bytes.append(contentsOf: String(line).utf8)
    }
    return Data(bytes).base64EncodedString()
      .replacingOccurrences(of: "+", with: "-")
      .replacingOccurrences(of: "/", with: "_")
      .replacingOccurrences(of: "=", with: "")
  }

  /// Decodes a cursor of `kind` whose path must lie beneath `directory` (root-relative, normalized).
  static func decode(_ text: String, _ kind: Kind, beneath directory: [UInt8]) throws -> (path: [UInt8], line: Int?) {
    var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while base64.utf8.count % 4 != 0 { base64.append("=") }
    guard let data = Data(base64Encoded: base64) else {
      throw SearchError.invalidCursor("\"\(text.prefix(40))\" is not a cursor produced by \(kind.toolName)")
    }
    let parts = Array(data).split(separator: 0, omittingEmptySubsequences: false).map { Array($0) }
    guard let tag = parts.first, let foundKind = Kind(rawValue: String(decoding: tag, as: UTF8.self)) else {
      throw SearchError.invalidCursor("\"\(text.prefix(40))\" is not a cursor produced by \(kind.toolName)")
    }
    guard foundKind == kind else {
      throw SearchError.invalidCursor("this cursor came from \(foundKind.toolName), not \(kind.toolName)")
    }
    guard parts.count == (kind == .grep ? 3 : 2) else {
      throw SearchError.invalidCursor("the cursor is damaged")
    }
    let path = parts[1]
    let components = RelativePath.components(path)
    let canonical =
      !path.isEmpty && path.first != slash && path.last != slash
      && components.allSatisfy { $0 != [UInt8(ascii: ".")] && $0 != [UInt8(ascii: "."), UInt8(ascii: ".")] }
      && components.count == path.split(separator: slash, omittingEmptySubsequences: false).count
    guard canonical else {
      throw SearchError.invalidCursor("the cursor is damaged")
    }
    guard RelativePath.isBeneath(path, directory) else {
      throw SearchError.invalidCursor("the cursor belongs to a search of another path")
    }
    var line: Int? = nil
    if kind == .grep {
      guard let value = Int(String(decoding: parts[2], as: UTF8.self)), value >= 1 else {
        throw SearchError.invalidCursor("the cursor is damaged")
      }
      line = value
    }
    return (path, line)
  }
}
