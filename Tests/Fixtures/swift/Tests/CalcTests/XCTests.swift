import Calc
import Foundation
import XCTest

final class CalcXCTests: XCTestCase {
  func testAdds() { XCTAssertEqual(add(2, 3), 5) }

  func testAddsWrong() { XCTAssertEqual(add(2, 2), 5, "two and two") }

  func testSkipped() throws { throw XCTSkip("not today") }
}
