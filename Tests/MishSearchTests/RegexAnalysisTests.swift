import Foundation
import Testing

@testable import MishSearch

struct RegexAnalysisTests {
  @Test(arguments: [
    (#"fn\s+\w+_handler"#, false, ["_handler"]),
    ("TODO|FIXME", false, ["TODO", "FIXME"]),
    ("foo(bar|baz)", false, ["foobar", "foobaz"]),
    ("ab+c", false, ["ab"]),
    (#"\d+\.\d+"#, false, ["."]),
    ("(?i)Hello", false, ["hello"]),
    ("Hello", true, ["hello"]),
    ("colou?r", false, ["colo"]),
    ("[abc]def", false, ["def"]),
    ("a|b.*", false, ["a", "b"]),
    (#"\Qa.b*\E"#, false, ["a.b*"]),
    ("(?:abc){2}", false, ["abcabc"]),
    (#"\bword\b"#, false, ["word"]),
    ("^import ", false, ["import "]),
    (#"\(\)"#, false, ["()"]),
    (#"func \w+\(.*\) -> Bool"#, false, [") -> Bool"]),
    ("(?<name>abc)d", false, ["abcd"]),
    ("x(?=yz)", false, ["x"]),
    ("Straße", true, ["stra"]),
    ("a{2,}b", false, ["aab"]),
  ])
  func requiredLiterals(pattern: String, caseInsensitive: Bool, expected: [String]) {
    let requirement = RegexAnalysis.requirement(of: pattern, caseInsensitive: caseInsensitive)
    #expect(requirement?.literals.map { String(decoding: $0, as: UTF8.self) } == expected)
    #expect(requirement?.caseFolded == (caseInsensitive || pattern.hasPrefix("(?i)")))
  }

  @Test(arguments: ["x*", "(?x) a b", "foo|", "[]a]", #"\w+"#, "a?", "(a|b)?", #"\p{L}+"#, "(?i:é)"])
  func noRequirement(pattern: String) {
    #expect(RegexAnalysis.requirement(of: pattern, caseInsensitive: false) == nil)
  }

  @Test(arguments: [
    ("(foo", "missing ')'"), ("foo)", "unbalanced ')'"), ("a[b", "unterminated character class"),
    ("*x", "nothing to repeat"), ("\\", "trailing backslash"), ("^+x", "matches no text"),
    (#"a\b*"#, "matches no text"), ("x(?=y)?", "matches no text"), ("()+?a", "matches no text"),
  ])
  func diagnosesCommonMistakes(pattern: String, fragment: String) {
    #expect(RegexAnalysis.diagnose(pattern)?.contains(fragment) == true)
  }

  /// Whenever ICU finds a match in a line, the line contains a required literal and the byte automaton accepts it:
  /// the prefilters never hide a match.
  @Test(arguments: 0..<8)
  func prefiltersNeverHideAMatch(round: Int) throws {
    let seed = UInt64(0xC0FFEE + round)
    var random = SplitMix64(seed: seed)
    let pieces = [
      "a", "b", "c", "ab", "(", ")", "|", "?", "*", "+", "{1,2}", "{2}", ".", "[ab]", "[^a]", #"\w"#, #"\b"#, "(?:",
      "(?i)", "^", "$", #"\."#, "é", "A", "+?", #"\d"#, #"\S"#, "[a-c]", "[^é]", "[é-ü]", #"[\w.]"#, "(?=a)",
      #"\1"#,
      "[[:alpha:]]", #"\p{L}"#, " ", "{0,3}",
    ]
    let alphabet = ["a", "b", "c", "A", "B", ".", " ", "é", "É", "x", "1", "٣", "\u{00A0}", "ü"]
    var checkedLiterals = 0
    var checkedAutomata = 0
    for _ in 0..<300 {
      let pattern = (0..<Int.random(in: 1...7, using: &random)).map { _ in pieces.randomElement(using: &random)! }
        .joined()
      let caseInsensitive = Bool.random(using: &random)
      // Patterns the grep engine refuses (quantified anchors, on which ICU can spin for seconds) are not run.
      guard RegexAnalysis.rejection(pattern) == nil,
        let regex = try? NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
      else {
        continue
      }
      let plan = RegexAnalysis.plan(of: pattern, caseInsensitive: caseInsensitive)
      let automaton = plan.automaton.map { LazyDFA($0) }
      for _ in 0..<40 {
        let line = (0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
          .joined()
        let range = NSRange(location: 0, length: line.utf16.count)
        guard regex.firstMatch(in: line, range: range) != nil else { continue }
        if let requirement = plan.requirement {
          checkedLiterals += 1
          let bytes = Array(line.utf8)
          let haystack = requirement.caseFolded ? bytes.map { $0 &- 0x41 < 26 ? $0 | 0x20 : $0 } : bytes
          let found = requirement.literals.contains { literal in
            haystack.indices.contains { haystack[$0...].starts(with: literal) }
          }
          let wanted = requirement.literals.map { String(decoding: $0, as: UTF8.self) }
          #expect(found, "seed \(seed): /\(pattern)/ ci=\(caseInsensitive) matches \"\(line)\"; prefilter: \(wanted)")
        }
        if let automaton, !automaton.acceptsEverything {
          checkedAutomata += 1
          let bytes = Array(line.utf8) + [0x0A]
          let accepted = bytes.withUnsafeBufferPointer { automaton.firstAccept($0.baseAddress!, from: 0, to: $0.count) }
          #expect(accepted != nil, "seed \(seed): /\(pattern)/ matches \"\(line)\" but the automaton rejects it")
        }
      }
    }
    #expect(checkedLiterals > 0 && checkedAutomata > 0)
  }

  @Test func automatonScansLinesIndependently() {
    let automaton = LazyDFA(RegexAnalysis.plan(of: #"[A-Z]{3}\d"#, caseInsensitive: false).automaton!)
    let text = Array("abc\nABx1\nxxABC1yy\nZZZ9".utf8)
    var found: [Int] = []
    text.withUnsafeBufferPointer { buffer in
      var position = 0
      while let hit = automaton.firstAccept(buffer.baseAddress!, from: position, to: buffer.count) {
        found.append(hit)
        position = Lines.lineEnd(buffer.baseAddress!, from: hit, end: buffer.count) + 1
      }
    }
    #expect(found == [14, 21])
  }
}
