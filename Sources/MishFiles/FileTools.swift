import MishJSON
import MishRPC

/// The fs/* operations over one workspace, in the order tools/list shows them.
public enum FileTools {
  public static func operations(_ workspace: Workspace) -> [OperationSpec] {
    [
      read(workspace), readMany(workspace), write(workspace), edit(workspace), patch(workspace), list(workspace),
      glob(workspace), grep(workspace), stat(workspace), move(workspace), remove(workspace), mkdir(workspace),
    ]
  }

  // Shared schema pieces, so one idea has one description everywhere.
  static let pathSchema = Schema.string("Path relative to the root (an absolute path inside the root also works).", minLength: 1)
  static let dirSchema = Schema.string("Directory relative to the root; \"\" or \".\" is the root.")
  static let sha256Schema = Schema.string("SHA-256 of the whole file, lowercase hex.")
  static let cursorSchema = Schema.string("Opaque cursor from a previous page's next_cursor.")
  static let nextCursorSchema = Schema.nullable(Schema.string("Pass as cursor to get the next page; null on the last page."))

  static func reads(_ workspace: Workspace, _ keys: String...) -> @Sendable (Args) -> Footprint {
    { args in Footprint(reads: keys.map { footprintKey(args.string($0), in: workspace) }) }
  }

  static func writes(_ workspace: Workspace, _ keys: String...) -> @Sendable (Args) -> Footprint {
    { args in Footprint(writes: keys.map { footprintKey(args.string($0), in: workspace) }) }
  }

  /// Cuts long text for the compact rendering, saying how much was left out.
  static func clip(_ text: String, maxBytes: Int = 8000) -> String {
    let utf8 = text.utf8
    guard utf8.count > maxBytes else { return text }
    var end = utf8.index(utf8.startIndex, offsetBy: maxBytes)
    while end > utf8.startIndex, UTF8.isContinuation(utf8[end]) { end = utf8.index(before: end) }
    return String(text[..<end]) + "\n[… \(utf8.count - maxBytes) more bytes in structuredContent]"
  }
}
