// The parsed form of a patch, shared by both input formats, and the patch error.

/// Why a patch could not be parsed or applied.
public struct PatchError: Error, Sendable, Equatable, CustomStringConvertible {
  /// `invalid_patch`, `no_match`, `file_exists` or `file_missing`; see the static constants.
  public var code: String
  /// What happened, naming the file, the chunk or hunk and the patch line.
  public var message: String
  /// What to do next.
  public var hint: String
  /// The file the failing section is about, when known.
  public var path: String?
  /// The 1-based line of the patch text where the problem is.
  public var patchLine: Int?
  /// For `no_match`: the region of the file most similar to the lines the patch expected.
  public var nearMiss: NearMiss?

  /// The patch text is malformed; `patchLine` points at the offending line.
  public static let invalidPatch = "invalid_patch"
  /// A chunk's expected lines are not in the file.
  public static let noMatch = "no_match"
  /// The patch adds a file that already exists.
  public static let fileExists = "file_exists"
  /// The patch updates, moves or deletes a file that does not exist.
  public static let fileMissing = "file_missing"

  public init(
    code: String, message: String, hint: String, path: String? = nil, patchLine: Int? = nil, nearMiss: NearMiss? = nil
  ) {
    self.code = code
    self.message = message
    self.hint = hint
    self.path = path
    self.patchLine = patchLine
    self.nearMiss = nearMiss
  }

  public var description: String { message }
}

/// Which syntax a patch was written in; they differ in how chunks are located.
public enum PatchFormat: String, Sendable, Equatable {
  /// The `*** Begin Patch` envelope: chunks are found by content, in order, with whitespace and punctuation
  /// tolerance.
  case envelope
  /// A unified diff: hunks are placed at their line numbers or the nearest offset where the context matches.
  case unified
}

/// One line of a chunk or hunk.
public struct PatchLine: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    /// Present before and after (a leading space).
    case context
    /// Present before only (a leading `-`).
    case remove
    /// Present after only (a leading `+`).
    case add
  }

  public var kind: Kind
  /// The line's UTF-8 without its marker and terminator.
  public var bytes: [UInt8]
  /// The line carried its own CR in a patch whose other lines end with bare LF, so it is written with CRLF.
  public var endsWithCRLF: Bool
  /// A `\ No newline at end of file` marker follows the line.
  public var noNewlineAtEnd: Bool

  public init(kind: Kind, bytes: [UInt8], endsWithCRLF: Bool = false, noNewlineAtEnd: Bool = false) {
    self.kind = kind
    self.bytes = bytes
    self.endsWithCRLF = endsWithCRLF
    self.noNewlineAtEnd = noNewlineAtEnd
  }

  public init(_ kind: Kind, _ text: String) {
    self.init(kind: kind, bytes: Array(text.utf8))
  }

  /// The line decoded as UTF-8.
  public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// A run of changed lines with their context: an envelope chunk or a unified-diff hunk.
public struct PatchHunk: Sendable, Equatable {
  /// Envelope `@@ anchor` lines, located in order before the chunk; the chunk is searched after the last one.
  public var anchors: [String]
  public var lines: [PatchLine]
  /// Envelope `*** End of File`: the chunk's expected lines end the file.
  public var isEndOfFile: Bool
  /// Unified `@@ -oldStart,oldCount +newStart,newCount @@` numbers; nil when the header had none.
  public var oldStart: Int?
  public var oldCount: Int?
  public var newStart: Int?
  public var newCount: Int?
  /// The 1-based patch line of the chunk's header (or its first line when it has none).
  public var patchLine: Int

  public init(
    anchors: [String] = [], lines: [PatchLine] = [], isEndOfFile: Bool = false, oldStart: Int? = nil,
    oldCount: Int? = nil, newStart: Int? = nil, newCount: Int? = nil, patchLine: Int
  ) {
    self.anchors = anchors
    self.lines = lines
    self.isEndOfFile = isEndOfFile
    self.oldStart = oldStart
    self.oldCount = oldCount
    self.newStart = newStart
    self.newCount = newCount
    self.patchLine = patchLine
  }

  /// The lines the file must contain: context and removed lines.
  public var oldLines: [PatchLine] { lines.filter { $0.kind != .add } }
  /// The lines the file will contain: context and added lines.
  public var newLines: [PatchLine] { lines.filter { $0.kind != .remove } }
}

/// The change a patch makes to one file.
public struct FilePatch: Sendable, Equatable {
  public enum Action: String, Sendable, Equatable {
    case add, update, delete, move
  }

  public var action: Action
  /// The file the patch reads: the added file for `add`, the source for `move`.
  public var path: String
  /// For `move`: where the (possibly updated) content goes; the caller removes `path`.
  public var movePath: String?
  public var format: PatchFormat
  /// The chunks in patch order; an added file's content is one hunk of added lines.
  public var hunks: [PatchHunk]
  /// The 1-based patch line where this file's section starts.
  public var patchLine: Int

  public init(
    action: Action, path: String, movePath: String? = nil, format: PatchFormat, hunks: [PatchHunk] = [],
    patchLine: Int
  ) {
    self.action = action
    self.path = path
    self.movePath = movePath
    self.format = format
    self.hunks = hunks
    self.patchLine = patchLine
  }
}
