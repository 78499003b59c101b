/// The MCP revisions mish speaks.
public enum MCPVersions {
  /// `initialize`-era revisions, oldest first. The newest is answered to clients asking for one we don't know.
  public static let legacy = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]
  /// Stateless revisions: each request carries its version in `_meta`.
  public static let modern = ["2026-07-28"]
  public static var all: [String] { legacy + modern }

  public static let protocolVersionKey = "io.modelcontextprotocol/protocolVersion"
  public static let clientInfoKey = "io.modelcontextprotocol/clientInfo"
  public static let clientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
  public static let serverInfoKey = "io.modelcontextprotocol/serverInfo"
}

/// The version of mish itself, reported by `--version`, `initialize` and `session/info`.
public enum MishVersion {
  public static let string = "0.1.0"
}
