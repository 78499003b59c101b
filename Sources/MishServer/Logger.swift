import Foundation
import Synchronization

/// Log lines go to stderr only (stdout carries protocol bytes). MCP clients show stderr to people; they never parse it.
public final class Logger: Sendable {
  public enum Level: Int, Sendable, Comparable, CaseIterable {
    case debug, info, notice, warning, error
    public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }

    /// Accepts RFC 5424 names as MCP's `logging/setLevel` sends them.
    public init?(name: String) {
      switch name.lowercased() {
      case "debug": self = .debug
      case "info": self = .info
      case "notice": self = .notice
      case "warning", "warn": self = .warning
      case "error", "critical", "alert", "emergency": self = .error
      default: return nil
      }
    }
  }

  let minimum: Atomic<Int>
  let lock = Mutex(())
  let fd: Int32

  public init(level: Level = .info, fd: Int32 = 2) {
    minimum = Atomic(level.rawValue)
    self.fd = fd
  }

  public var level: Level {
    get { Level(rawValue: minimum.load(ordering: .relaxed)) ?? .info }
    set { minimum.store(newValue.rawValue, ordering: .relaxed) }
  }

  public func setLevel(_ level: Level) { minimum.store(level.rawValue, ordering: .relaxed) }

  public func log(_ level: Level, _ message: @autoclosure () -> String) {
    guard level.rawValue >= minimum.load(ordering: .relaxed) else { return }
    let line = Array("mish[\(getpid())] \(level): \(message())\n".utf8)
    lock.withLock { _ in
      line.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
          let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
          if n < 0 { if errno == EINTR { continue } else { return } }
          offset += n
        }
      }
    }
  }

  public func debug(_ message: @autoclosure () -> String) { log(.debug, message()) }
  public func info(_ message: @autoclosure () -> String) { log(.info, message()) }
  public func warning(_ message: @autoclosure () -> String) { log(.warning, message()) }
  public func error(_ message: @autoclosure () -> String) { log(.error, message()) }
}
