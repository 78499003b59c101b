import Foundation
import MishFiles
import MishJSON
import MishRPC
import Testing
@_exported import MishTestSupport

/// A scratch root with the file tools over it, called the way the server calls them: params validated against the
/// schema first, result checked against the result schema after.
final class Scratch {
  let root: String
  let workspace: Workspace
  let registry: Registry

  init(_ name: String = #function) throws {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("mish-files-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    root = base.path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    workspace = try Workspace(root: root)
    registry = Registry(FileTools.operations(workspace))
  }

  deinit { try? FileManager.default.removeItem(atPath: root) }

  func url(_ path: String) -> URL { URL(fileURLWithPath: root).appendingPathComponent(path) }

  func put(_ path: String, _ content: String) throws { try put(path, Array(content.utf8)) }

  func put(_ path: String, _ bytes: [UInt8]) throws {
    try FileManager.default.createDirectory(at: url(path).deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url(path))
  }

  func text(_ path: String) throws -> String { try String(contentsOf: url(path), encoding: .utf8) }
  func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: url(path))) }
  func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: url(path).path) }

  /// Calls a method; returns the result or the ToolError, after checking both schemas.
  func call(_ method: String, _ params: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) -> Result<JSONValue, ToolError> {
    guard let operation = registry.operation(named: method) else {
      Issue.record("no operation \(method)", sourceLocation: sourceLocation)
      return .failure(ToolError(.internal, "missing", hint: ""))
    }
    if let violation = SchemaValidator.firstViolation(of: params, against: operation.params) {
      return .failure(ToolError.invalidArgument(violation, schemaName: method))
    }
    guard case .blocking(let handler) = operation.handler else {
      Issue.record("\(method) is not blocking", sourceLocation: sourceLocation)
      return .failure(ToolError(.internal, "async", hint: ""))
    }
    let outcome = Result { () throws(ToolError) in try handler(Args(params.objectValue ?? JSONObject()), RequestContext()) }
    switch outcome {
    case .success(let value):
      if let violation = SchemaValidator.firstViolation(of: value, against: operation.result) {
        Issue.record("\(method) result breaks its schema: \(violation)", sourceLocation: sourceLocation)
      }
      #expect(!operation.render(value).isEmpty, sourceLocation: sourceLocation)
    case .failure(let error):
      #expect(!error.hint.isEmpty, "every error needs a hint", sourceLocation: sourceLocation)
      let published = SchemaValidator.firstViolation(of: ["error": error.json], against: operation.publishedResultSchema)
      #expect(published == nil, "error result must validate: \(String(describing: published))", sourceLocation: sourceLocation)
    }
    return outcome
  }

  func ok(_ method: String, _ params: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
    switch call(method, params, sourceLocation: sourceLocation) {
    case .success(let value): return value
    case .failure(let error):
      Issue.record("\(method) failed: \(error.code.rawValue): \(error.message)", sourceLocation: sourceLocation)
      throw error
    }
  }

  func failure(_ method: String, _ params: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) -> ToolError? {
    switch call(method, params, sourceLocation: sourceLocation) {
    case .success(let value):
      Issue.record("\(method) should have failed but returned \(value)", sourceLocation: sourceLocation)
      return nil
    case .failure(let error): return error
    }
  }
}

