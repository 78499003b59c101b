import Calc
import Foundation
import Testing

@Test func addsSwiftly() { #expect(add(1, 1) == 2) }

@Test func addsWrongSwiftly() { #expect(add(1, 1) == 3) }

@Test(.disabled("not today")) func disabledTest() {}

/// Fails the first time it runs in a fresh copy, passes after: a stand-in for a flaky test.
@Test func flaky() throws {
  let marker = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(".flaky-ran").path
  if !FileManager.default.fileExists(atPath: marker) {
    FileManager.default.createFile(atPath: marker, contents: Data())
    Issue.record("first run fails")
  }
}

@Suite struct Operations {
  @Test func multiplies() { #expect(2 * 3 == 6) }
}
