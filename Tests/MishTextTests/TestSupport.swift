// Helpers shared by the MishText tests.

import Testing

@testable import MishText
@_exported import MishTestSupport

/// The UTF-8 bytes of `text`.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// `bytes` decoded as UTF-8, for readable expectations.
func string(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

/// The content of `applyEdits`, or nil on failure.
func edited(_ text: String, _ edits: [TextEdit]) -> String? {
  guard case .success(let outcome) = applyEdits(edits, to: bytes(text)) else { return nil }
  return string(outcome.content)
}

/// The failure of `applyEdits`, or nil on success.
func editFailure(_ text: String, _ edits: [TextEdit]) -> EditFailure? {
  guard case .failure(let failure) = applyEdits(edits, to: bytes(text)) else { return nil }
  return failure
}

/// The `PatchError` thrown by `body`, or nil when it throws nothing (any other error fails the test).
func patchError(_ body: () throws -> Void) -> PatchError? {
  do {
    try body()
    return nil
  } catch let error as PatchError {
    return error
  } catch {
    Issue.record("unexpected error \(error)")
    return nil
  }
}

/// Parses `patch`, expects exactly one file, and applies it to `content`.
func applyPatchText(_ patch: String, to content: String?) throws(PatchError) -> String? {
  let files = try parsePatch(patch)
  precondition(files.count == 1, "expected one file in the patch")
  return string(try apply(files[0], to: content.map(bytes)))
}

/// `applyPatchText` as a `Result`, which keeps typed throws out of `#expect` (Swift 6.3's SILGen crashes on a
/// `catch` of a typed error around an `#expect` that calls a typed-throwing function).
func patchOutcome(_ patch: String, to content: String?) -> Result<String?, PatchError> {
  do {
    return .success(try applyPatchText(patch, to: content))
  } catch {
    return .failure(error)
  }
}
