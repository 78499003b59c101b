import Foundation
import MishRPC
import Synchronization

/// The one writer of protocol bytes. Every frame is written whole under a lock, so concurrent replies can never
/// interleave; a blocked pipe blocks only the thread that is replying.
public final class FrameWriter: Sendable {
  let fd: Int32
  let lock = Mutex(false)  // true once the peer is gone

  public init(fd: Int32) { self.fd = fd }

  /// Writes one frame; returns false when the peer has gone away (EPIPE or another write error).
  @discardableResult
  public func send(_ body: consuming [UInt8], framing: Framing) -> Bool {
    let frame = encodeFrame(body, framing: framing)
    return lock.withLock { broken in
      if broken { return false }
      let ok = frame.withUnsafeBytes { raw -> Bool in
        var offset = 0
        while offset < raw.count {
          let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
          if n < 0 {
            if errno == EINTR { continue }
            if errno == EAGAIN {
              var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
              _ = poll(&pfd, 1, 1000)
              continue
            }
            return false
          }
          offset += n
        }
        return true
      }
      if !ok { broken = true }
      return ok
    }
  }
}
