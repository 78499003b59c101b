import Testing

@testable import MishReports

/// Streams captured on this machine (Swift 6.3.1, `swift test --event-stream-output-path F`) from a scratch package
/// whose test target holds the Swift Testing tests named below and an XCTest class (which never appears in the
/// stream). Lines are verbatim; a few unrelated tests' lines were left out.
enum SwiftTestingFixtures {
  static let file = "/tmp/stpkg/Tests/DemoTests/DemoTests.swift"

  /// Schema "6.3.0" (the default): passing, `#expect` and `#require` failures, a thrown error, `.disabled`,
  /// a parameterized test with one failing argument, a suite with a nested suite, a known issue.
  static let stream63 = #"""
{"kind":"test","payload":{"id":"DemoTests.passes()\/DemoTests.swift:8:2","isParameterized":false,"kind":"function","name":"passes()","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":2,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":8}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.failsExpect()\/DemoTests.swift:12:2","isParameterized":false,"kind":"function","name":"failsExpect()","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":2,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":12}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.failsRequire()\/DemoTests.swift:18:2","isParameterized":false,"kind":"function","name":"failsRequire()","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":2,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":18}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.throwsError()\/DemoTests.swift:24:2","isParameterized":false,"kind":"function","name":"throwsError()","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":2,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":24}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.skipped()\/DemoTests.swift:28:2","isParameterized":false,"kind":"function","name":"skipped()","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":2,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":28}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2","isParameterized":true,"kind":"function","name":"parameterized(n:)","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":2,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":30}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.MathSuite","kind":"suite","name":"MathSuite","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":2,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":34}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.MathSuite\/insideSuite()\/DemoTests.swift:35:4","isParameterized":false,"kind":"function","name":"insideSuite()","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":4,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":35}},"version":"6.3.0"}
{"kind":"test","payload":{"displayName":"Display name test","id":"DemoTests.MathSuite\/named()\/DemoTests.swift:38:4","isParameterized":false,"kind":"function","name":"named()","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":4,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":38}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.MathSuite\/Nested","kind":"suite","name":"Nested","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":4,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":41}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.MathSuite\/Nested\/deep()\/DemoTests.swift:42:6","isParameterized":false,"kind":"function","name":"deep()","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":6,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":42}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.knownIssue()\/DemoTests.swift:46:2","isParameterized":false,"kind":"function","name":"knownIssue()","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":2,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":46}},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.216678163,"since1970":1796372584.687039},"kind":"runStarted","messages":[{"symbol":"default","text":"Test run started."},{"symbol":"details","text":"Testing Library Version: 6.3.1 (937120cbc281cf2)"},{"symbol":"details","text":"Target Platform: x86_64-unknown-linux-gnu"}]},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.21728113,"since1970":1796372584.687642},"kind":"testStarted","messages":[{"symbol":"default","text":"Suite MathSuite started."}],"testID":"DemoTests.MathSuite"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.217486055,"since1970":1796372584.687847},"kind":"testStarted","messages":[{"symbol":"default","text":"Test failsExpect() started."}],"testID":"DemoTests.failsExpect()\/DemoTests.swift:12:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.217490582,"since1970":1796372584.6878514},"kind":"testStarted","messages":[{"symbol":"default","text":"Test failsRequire() started."}],"testID":"DemoTests.failsRequire()\/DemoTests.swift:18:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.217609158,"since1970":1796372584.68797},"kind":"testStarted","messages":[{"symbol":"default","text":"Test parameterized(n:) started."}],"testID":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.217614947,"since1970":1796372584.687976},"kind":"testStarted","messages":[{"symbol":"default","text":"Test knownIssue() started."}],"testID":"DemoTests.knownIssue()\/DemoTests.swift:46:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.217736598,"since1970":1796372584.6880975},"kind":"testStarted","messages":[{"symbol":"default","text":"Test throwsError() started."}],"testID":"DemoTests.throwsError()\/DemoTests.swift:24:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.217791189,"since1970":1796372584.688152},"kind":"testStarted","messages":[{"symbol":"default","text":"Suite Nested started."}],"testID":"DemoTests.MathSuite\/Nested"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.217848464,"since1970":1796372584.6882093},"kind":"testSkipped","messages":[{"symbol":"skip","text":"Test skipped() skipped: \"not ready yet\""}],"testID":"DemoTests.skipped()\/DemoTests.swift:28:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.217931147,"since1970":1796372584.688292},"kind":"testStarted","messages":[{"symbol":"default","text":"Test passes() started."}],"testID":"DemoTests.passes()\/DemoTests.swift:8:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.218479763,"since1970":1796372584.6888409},"issue":{"isFailure":true,"isKnown":false,"severity":"error","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":15,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":20}},"kind":"issueRecorded","messages":[{"symbol":"fail","text":"Expectation failed: value → nil"}],"testID":"DemoTests.failsRequire()\/DemoTests.swift:18:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.218624909,"since1970":1796372584.6889863},"issue":{"isFailure":true,"isKnown":false,"severity":"error","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":3,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":15}},"kind":"issueRecorded","messages":[{"symbol":"fail","text":"Expectation failed: (a → 1) == (b → 2)"}],"testID":"DemoTests.failsExpect()\/DemoTests.swift:12:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.21875345,"since1970":1796372584.6891143},"kind":"testCaseStarted","messages":[{"symbol":"default","text":"Test case passing 1 argument n → 1 to parameterized(n:) started."}],"testID":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.218891305,"since1970":1796372584.6892524},"kind":"testCaseEnded","messages":[],"testID":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.21886046,"since1970":1796372584.6892214},"kind":"testCaseStarted","messages":[{"symbol":"default","text":"Test case passing 1 argument n → 2 to parameterized(n:) started."}],"testID":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.218969712,"since1970":1796372584.6893306},"kind":"testCaseStarted","messages":[{"symbol":"default","text":"Test case passing 1 argument n → 3 to parameterized(n:) started."}],"testID":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.219095679,"since1970":1796372584.6894567},"kind":"testCaseEnded","messages":[],"testID":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.219026567,"since1970":1796372584.6893878},"issue":{"isFailure":true,"isKnown":false,"severity":"error","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":3,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":31}},"kind":"issueRecorded","messages":[{"symbol":"fail","text":"Expectation failed: (n → 2) != 2"}],"testID":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.219176189,"since1970":1796372584.6895375},"kind":"testCaseEnded","messages":[],"testID":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.219205162,"since1970":1796372584.6895661},"issue":{"isFailure":false,"isKnown":true,"severity":"error","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":20,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":47}},"kind":"issueRecorded","messages":[{"symbol":"passWithKnownIssue","text":"Expectation failed: 1 == 2"}],"testID":"DemoTests.knownIssue()\/DemoTests.swift:46:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.219380603,"since1970":1796372584.6897414},"kind":"testStarted","messages":[{"symbol":"default","text":"Test insideSuite() started."}],"testID":"DemoTests.MathSuite\/insideSuite()\/DemoTests.swift:35:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.219514422,"since1970":1796372584.6898754},"kind":"testStarted","messages":[{"symbol":"default","text":"Test \"Display name test\" started."}],"testID":"DemoTests.MathSuite\/named()\/DemoTests.swift:38:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.219765506,"since1970":1796372584.6901264},"kind":"testEnded","messages":[{"symbol":"fail","text":"Test failsRequire() failed after 0.002 seconds with 1 issue."}],"testID":"DemoTests.failsRequire()\/DemoTests.swift:18:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.219702803,"since1970":1796372584.6900637},"issue":{"isFailure":true,"isKnown":false,"severity":"error","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":2,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":24}},"kind":"issueRecorded","messages":[{"symbol":"fail","text":"Caught error: Boom()"}],"testID":"DemoTests.throwsError()\/DemoTests.swift:24:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.220154214,"since1970":1796372584.690515},"kind":"testEnded","messages":[{"symbol":"fail","text":"Test failsExpect() failed after 0.002 seconds with 1 issue."}],"testID":"DemoTests.failsExpect()\/DemoTests.swift:12:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.220254704,"since1970":1796372584.6906157},"kind":"testEnded","messages":[{"symbol":"passWithKnownIssue","text":"Test knownIssue() passed after 0.002 seconds with 1 known issue."}],"testID":"DemoTests.knownIssue()\/DemoTests.swift:46:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.220234444,"since1970":1796372584.6905954},"kind":"testEnded","messages":[{"symbol":"fail","text":"Test parameterized(n:) with 3 test cases failed after 0.002 seconds with 1 issue."}],"testID":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.220456043,"since1970":1796372584.6908169},"issue":{"isFailure":true,"isKnown":false,"severity":"error","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":5,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":36}},"kind":"issueRecorded","messages":[{"symbol":"fail","text":"Expectation failed: (add(2, 2) → 4) == 5"},{"symbol":"details","text":"math is broken"}],"testID":"DemoTests.MathSuite\/insideSuite()\/DemoTests.swift:35:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.220650663,"since1970":1796372584.6910114},"kind":"testStarted","messages":[{"symbol":"default","text":"Test deep() started."}],"testID":"DemoTests.MathSuite\/Nested\/deep()\/DemoTests.swift:42:6"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.220672495,"since1970":1796372584.6910334},"kind":"testEnded","messages":[{"symbol":"pass","text":"Test passes() passed after 0.002 seconds."}],"testID":"DemoTests.passes()\/DemoTests.swift:8:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.220810821,"since1970":1796372584.691172},"kind":"testEnded","messages":[{"symbol":"fail","text":"Test throwsError() failed after 0.003 seconds with 1 issue."}],"testID":"DemoTests.throwsError()\/DemoTests.swift:24:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.220829459,"since1970":1796372584.6911902},"kind":"testEnded","messages":[{"symbol":"fail","text":"Test insideSuite() failed after 0.001 seconds with 1 issue."}],"testID":"DemoTests.MathSuite\/insideSuite()\/DemoTests.swift:35:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.220995255,"since1970":1796372584.6913562},"kind":"testEnded","messages":[{"symbol":"pass","text":"Test \"Display name test\" passed after 0.001 seconds."}],"testID":"DemoTests.MathSuite\/named()\/DemoTests.swift:38:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.22118631,"since1970":1796372584.6915472},"kind":"testEnded","messages":[{"symbol":"pass","text":"Test deep() passed after 0.001 seconds."}],"testID":"DemoTests.MathSuite\/Nested\/deep()\/DemoTests.swift:42:6"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.221291656,"since1970":1796372584.6916525},"kind":"testEnded","messages":[{"symbol":"pass","text":"Suite Nested passed after 0.003 seconds."}],"testID":"DemoTests.MathSuite\/Nested"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.221378946,"since1970":1796372584.6917398},"kind":"testEnded","messages":[{"symbol":"fail","text":"Suite MathSuite failed after 0.004 seconds with 1 issue."}],"testID":"DemoTests.MathSuite"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":993.221491734,"since1970":1796372584.6918526},"kind":"runEnded","messages":[{"symbol":"fail","text":"Test run with 11 tests in 3 suites failed after 0.004 seconds with 6 issues (including 1 known issue)."}]},"version":"6.3.0"}
"""# + "\n"

  /// The same run with `--event-stream-version 0` (parameterized and known-issue lines only): no `isFailure` or
  /// `severity`, but `_testCase` names each issue's argument.
  static let streamV0 = #"""
{"kind":"test","payload":{"_testCases":[{"displayName":"1","id":"Parameterized test case ID: argumentIDs: [Testing.Test.Case.Argument.ID(bytes: [49])], discriminator: 0, isStable: true"},{"displayName":"2","id":"Parameterized test case ID: argumentIDs: [Testing.Test.Case.Argument.ID(bytes: [50])], discriminator: 0, isStable: true"},{"displayName":"3","id":"Parameterized test case ID: argumentIDs: [Testing.Test.Case.Argument.ID(bytes: [51])], discriminator: 0, isStable: true"}],"id":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2","isParameterized":true,"kind":"function","name":"parameterized(n:)","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":2,"fileID":"DemoTests\/DemoTests.swift","line":30}},"version":0}
{"kind":"test","payload":{"id":"DemoTests.knownIssue()\/DemoTests.swift:46:2","isParameterized":false,"kind":"function","name":"knownIssue()","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":2,"fileID":"DemoTests\/DemoTests.swift","line":46}},"version":0}
{"kind":"event","payload":{"instant":{"absolute":993.612812573,"since1970":1796372585.0831733},"kind":"runStarted","messages":[{"symbol":"default","text":"Test run started."},{"symbol":"details","text":"Testing Library Version: 6.3.1 (937120cbc281cf2)"},{"symbol":"details","text":"Target Platform: x86_64-unknown-linux-gnu"}]},"version":0}
{"kind":"event","payload":{"instant":{"absolute":993.613346868,"since1970":1796372585.0837076},"kind":"testStarted","messages":[{"symbol":"default","text":"Test parameterized(n:) started."}],"testID":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2"},"version":0}
{"kind":"event","payload":{"instant":{"absolute":993.61350334,"since1970":1796372585.0838642},"kind":"testStarted","messages":[{"symbol":"default","text":"Test knownIssue() started."}],"testID":"DemoTests.knownIssue()\/DemoTests.swift:46:2"},"version":0}
{"kind":"event","payload":{"_testCase":{"displayName":"2","id":"Parameterized test case ID: argumentIDs: [Testing.Test.Case.Argument.ID(bytes: [50])], discriminator: 0, isStable: true"},"instant":{"absolute":993.613969905,"since1970":1796372585.084331},"kind":"testCaseStarted","messages":[{"symbol":"default","text":"Test case passing 1 argument n → 2 to parameterized(n:) started."}],"testID":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2"},"version":0}
{"kind":"event","payload":{"_testCase":{"displayName":"1","id":"Parameterized test case ID: argumentIDs: [Testing.Test.Case.Argument.ID(bytes: [49])], discriminator: 0, isStable: true"},"instant":{"absolute":993.613967972,"since1970":1796372585.0843291},"kind":"testCaseStarted","messages":[{"symbol":"default","text":"Test case passing 1 argument n → 1 to parameterized(n:) started."}],"testID":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2"},"version":0}
{"kind":"event","payload":{"_testCase":{"displayName":"1","id":"Parameterized test case ID: argumentIDs: [Testing.Test.Case.Argument.ID(bytes: [49])], discriminator: 0, isStable: true"},"instant":{"absolute":993.614223311,"since1970":1796372585.0845845},"kind":"testCaseEnded","messages":[],"testID":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2"},"version":0}
{"kind":"event","payload":{"_testCase":{"displayName":"3","id":"Parameterized test case ID: argumentIDs: [Testing.Test.Case.Argument.ID(bytes: [51])], discriminator: 0, isStable: true"},"instant":{"absolute":993.614281718,"since1970":1796372585.0846426},"kind":"testCaseStarted","messages":[{"symbol":"default","text":"Test case passing 1 argument n → 3 to parameterized(n:) started."}],"testID":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2"},"version":0}
{"kind":"event","payload":{"_testCase":{"displayName":"3","id":"Parameterized test case ID: argumentIDs: [Testing.Test.Case.Argument.ID(bytes: [51])], discriminator: 0, isStable: true"},"instant":{"absolute":993.61439726,"since1970":1796372585.0847583},"kind":"testCaseEnded","messages":[],"testID":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2"},"version":0}
{"kind":"event","payload":{"_comments":[],"_sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":3,"fileID":"DemoTests\/DemoTests.swift","line":31},"_testCase":{"displayName":"2","id":"Parameterized test case ID: argumentIDs: [Testing.Test.Case.Argument.ID(bytes: [50])], discriminator: 0, isStable: true"},"instant":{"absolute":993.61449792,"since1970":1796372585.0848591},"issue":{"_backtrace":[{"address":140211591266006},{"address":140211590805611},{"address":140211590806947},{"address":94315531696607},{"address":94315531673493},{"address":140211612593760},{"address":140211612597013},{"address":140211610022024},{"address":140211610021556},{"address":140211610059157},{"address":140211588559349},{"address":140211589085420}],"isKnown":false,"sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":3,"fileID":"DemoTests\/DemoTests.swift","line":31}},"kind":"issueRecorded","messages":[{"symbol":"fail","text":"Expectation failed: (n → 2) != 2"}],"testID":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2"},"version":0}
{"kind":"event","payload":{"_testCase":{"displayName":"2","id":"Parameterized test case ID: argumentIDs: [Testing.Test.Case.Argument.ID(bytes: [50])], discriminator: 0, isStable: true"},"instant":{"absolute":993.614874821,"since1970":1796372585.085236},"kind":"testCaseEnded","messages":[],"testID":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2"},"version":0}
{"kind":"event","payload":{"_comments":[],"_sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":20,"fileID":"DemoTests\/DemoTests.swift","line":47},"instant":{"absolute":993.61500211,"since1970":1796372585.085363},"issue":{"_backtrace":[{"address":140211591266006},{"address":140211590805611},{"address":140211590806947},{"address":94315531686493},{"address":140211590854659},{"address":94315531700731},{"address":94315531684817},{"address":140211612593760},{"address":140211612597013},{"address":140211610022024},{"address":140211610021556},{"address":140211610059157},{"address":140211588559349},{"address":140211589085420}],"isKnown":true,"sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":20,"fileID":"DemoTests\/DemoTests.swift","line":47}},"kind":"issueRecorded","messages":[{"symbol":"passWithKnownIssue","text":"Expectation failed: 1 == 2"}],"testID":"DemoTests.knownIssue()\/DemoTests.swift:46:2"},"version":0}
{"kind":"event","payload":{"instant":{"absolute":993.615610745,"since1970":1796372585.0859718},"kind":"testEnded","messages":[{"symbol":"fail","text":"Test parameterized(n:) with 3 test cases failed after 0.002 seconds with 1 issue."}],"testID":"DemoTests.parameterized(n:)\/DemoTests.swift:30:2"},"version":0}
{"kind":"event","payload":{"instant":{"absolute":993.615871193,"since1970":1796372585.086232},"kind":"testEnded","messages":[{"symbol":"passWithKnownIssue","text":"Test knownIssue() passed after 0.002 seconds with 1 known issue."}],"testID":"DemoTests.knownIssue()\/DemoTests.swift:46:2"},"version":0}
{"kind":"event","payload":{"instant":{"absolute":993.6168442,"since1970":1796372585.087205},"kind":"runEnded","messages":[{"symbol":"fail","text":"Test run with 11 tests in 3 suites failed after 0.004 seconds with 6 issues (including 1 known issue)."}]},"version":0}
"""# + "\n"

  /// A test process killed by a crash (`values[3]` on an empty array) while two tests ran: no `testEnded`, no
  /// `runEnded`.
  static let crashed = #"""
{"kind":"test","payload":{"id":"DemoTests.passes()\/DemoTests.swift:8:2","isParameterized":false,"kind":"function","name":"passes()","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":2,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":8}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.CrashSuite","kind":"suite","name":"CrashSuite","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":2,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":55}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.CrashSuite\/crashes()\/DemoTests.swift:56:4","isParameterized":false,"kind":"function","name":"crashes()","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":4,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":56}},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":988.433301053,"since1970":1796372579.903662},"kind":"runStarted","messages":[{"symbol":"default","text":"Test run started."},{"symbol":"details","text":"Testing Library Version: 6.3.1 (937120cbc281cf2)"},{"symbol":"details","text":"Target Platform: x86_64-unknown-linux-gnu"}]},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":988.433569413,"since1970":1796372579.9039302},"kind":"testStarted","messages":[{"symbol":"default","text":"Suite CrashSuite started."}],"testID":"DemoTests.CrashSuite"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":988.433777102,"since1970":1796372579.9041378},"kind":"testStarted","messages":[{"symbol":"default","text":"Test passes() started."}],"testID":"DemoTests.passes()\/DemoTests.swift:8:2"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":988.433902088,"since1970":1796372579.9042628},"kind":"testStarted","messages":[{"symbol":"default","text":"Test crashes() started."}],"testID":"DemoTests.CrashSuite\/crashes()\/DemoTests.swift:56:4"},"version":"6.3.0"}
"""# + "\n"

  /// A `@Suite("Pretty Suite")` with a warning-severity issue, a cancelled test, and a parameterized test with one
  /// cancelled case.
  static let extras = #"""
{"kind":"test","payload":{"displayName":"Pretty Suite","id":"DemoTests.Extras","kind":"suite","name":"Extras","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":2,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":62}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.Extras\/warns()\/DemoTests.swift:63:4","isParameterized":false,"kind":"function","name":"warns()","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":4,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":63}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.Extras\/cancels()\/DemoTests.swift:66:4","isParameterized":false,"kind":"function","name":"cancels()","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":4,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":66}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.Extras\/cancelsCase(s:)\/DemoTests.swift:69:4","isParameterized":true,"kind":"function","name":"cancelsCase(s:)","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":4,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":69}},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1011.036388706,"since1970":1796372602.5067494},"kind":"runStarted","messages":[{"symbol":"default","text":"Test run started."},{"symbol":"details","text":"Testing Library Version: 6.3.1 (937120cbc281cf2)"},{"symbol":"details","text":"Target Platform: x86_64-unknown-linux-gnu"}]},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1011.036646259,"since1970":1796372602.5070071},"kind":"testStarted","messages":[{"symbol":"default","text":"Suite \"Pretty Suite\" started."}],"testID":"DemoTests.Extras"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1011.036870933,"since1970":1796372602.5072317},"kind":"testStarted","messages":[{"symbol":"default","text":"Test warns() started."}],"testID":"DemoTests.Extras\/warns()\/DemoTests.swift:63:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1011.036950642,"since1970":1796372602.5073113},"kind":"testStarted","messages":[{"symbol":"default","text":"Test cancels() started."}],"testID":"DemoTests.Extras\/cancels()\/DemoTests.swift:66:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1011.037022359,"since1970":1796372602.507383},"kind":"testStarted","messages":[{"symbol":"default","text":"Test cancelsCase(s:) started."}],"testID":"DemoTests.Extras\/cancelsCase(s:)\/DemoTests.swift:69:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1011.037222056,"since1970":1796372602.507583},"issue":{"isFailure":false,"isKnown":false,"severity":"warning","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":17,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":64}},"kind":"issueRecorded","messages":[{"symbol":"warning","text":"Issue recorded"},{"symbol":"details","text":"just a warning"}],"testID":"DemoTests.Extras\/warns()\/DemoTests.swift:63:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1011.037440691,"since1970":1796372602.5078015},"kind":"testCancelled","messages":[],"testID":"DemoTests.Extras\/cancels()\/DemoTests.swift:66:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1011.037485007,"since1970":1796372602.5078459},"kind":"testCaseCancelled","messages":[],"testID":"DemoTests.Extras\/cancels()\/DemoTests.swift:66:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1011.037539408,"since1970":1796372602.5079002},"kind":"testCaseStarted","messages":[{"symbol":"default","text":"Test case passing 1 argument s → \"a\" to cancelsCase(s:) started."}],"testID":"DemoTests.Extras\/cancelsCase(s:)\/DemoTests.swift:69:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1011.037643062,"since1970":1796372602.508004},"kind":"testCaseEnded","messages":[],"testID":"DemoTests.Extras\/cancelsCase(s:)\/DemoTests.swift:69:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1011.037671224,"since1970":1796372602.508032},"kind":"testCaseStarted","messages":[{"symbol":"default","text":"Test case passing 1 argument s → \"b\" to cancelsCase(s:) started."}],"testID":"DemoTests.Extras\/cancelsCase(s:)\/DemoTests.swift:69:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1011.037721909,"since1970":1796372602.5080829},"kind":"testCaseCancelled","messages":[],"testID":"DemoTests.Extras\/cancelsCase(s:)\/DemoTests.swift:69:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1011.037824472,"since1970":1796372602.5081856},"kind":"testCaseEnded","messages":[],"testID":"DemoTests.Extras\/cancelsCase(s:)\/DemoTests.swift:69:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1011.037875197,"since1970":1796372602.508236},"kind":"testEnded","messages":[{"symbol":"pass","text":"Test warns() passed after 0.001 seconds with 1 warning."}],"testID":"DemoTests.Extras\/warns()\/DemoTests.swift:63:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1011.038067944,"since1970":1796372602.5084288},"kind":"testEnded","messages":[{"symbol":"skip","text":"Test cancels() was cancelled after 0.001 seconds: \"not on this platform\""}],"testID":"DemoTests.Extras\/cancels()\/DemoTests.swift:66:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1011.038120592,"since1970":1796372602.5084813},"kind":"testEnded","messages":[{"symbol":"pass","text":"Test cancelsCase(s:) with 2 test cases passed after 0.001 seconds."}],"testID":"DemoTests.Extras\/cancelsCase(s:)\/DemoTests.swift:69:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1011.038223395,"since1970":1796372602.5085843},"kind":"testEnded","messages":[{"symbol":"pass","text":"Suite \"Pretty Suite\" passed after 0.001 seconds with 1 warning."}],"testID":"DemoTests.Extras"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1011.038353218,"since1970":1796372602.508714},"kind":"runEnded","messages":[{"symbol":"pass","text":"Test run with 3 tests in 1 suite passed after 0.001 seconds with 1 warning."}]},"version":"6.3.0"}
"""# + "\n"

  /// A `.disabled` suite (each test skipped) and a suite whose `init` throws.
  static let disabledAndBrokenInit = #"""
{"kind":"test","payload":{"id":"DemoTests.OffSuite","kind":"suite","name":"OffSuite","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":2,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":74}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.OffSuite\/a()\/DemoTests.swift:75:4","isParameterized":false,"kind":"function","name":"a()","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":4,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":75}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.OffSuite\/b()\/DemoTests.swift:76:4","isParameterized":false,"kind":"function","name":"b()","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":4,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":76}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.BrokenInit","kind":"suite","name":"BrokenInit","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":2,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":79}},"version":"6.3.0"}
{"kind":"test","payload":{"id":"DemoTests.BrokenInit\/x()\/DemoTests.swift:81:4","isParameterized":false,"kind":"function","name":"x()","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":4,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":81}},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1147.156800922,"since1970":1796372738.6271617},"kind":"runStarted","messages":[{"symbol":"default","text":"Test run started."},{"symbol":"details","text":"Testing Library Version: 6.3.1 (937120cbc281cf2)"},{"symbol":"details","text":"Target Platform: x86_64-unknown-linux-gnu"}]},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1147.157300475,"since1970":1796372738.6276615},"kind":"testStarted","messages":[{"symbol":"default","text":"Suite BrokenInit started."}],"testID":"DemoTests.BrokenInit"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1147.157468285,"since1970":1796372738.6278293},"kind":"testSkipped","messages":[{"symbol":"skip","text":"Suite OffSuite skipped: \"whole suite off\""}],"testID":"DemoTests.OffSuite"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1147.157732598,"since1970":1796372738.6280935},"kind":"testStarted","messages":[{"symbol":"default","text":"Test x() started."}],"testID":"DemoTests.BrokenInit\/x()\/DemoTests.swift:81:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1147.157807189,"since1970":1796372738.628168},"kind":"testSkipped","messages":[{"symbol":"skip","text":"Test b() skipped: \"whole suite off\""}],"testID":"DemoTests.OffSuite\/b()\/DemoTests.swift:76:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1147.157944644,"since1970":1796372738.6283054},"kind":"testSkipped","messages":[{"symbol":"skip","text":"Test a() skipped: \"whole suite off\""}],"testID":"DemoTests.OffSuite\/a()\/DemoTests.swift:75:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1147.158246322,"since1970":1796372738.6286073},"issue":{"isFailure":true,"isKnown":false,"severity":"error","sourceLocation":{"_filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","column":4,"fileID":"DemoTests\/DemoTests.swift","filePath":"\/tmp\/stpkg\/Tests\/DemoTests\/DemoTests.swift","line":81}},"kind":"issueRecorded","messages":[{"symbol":"fail","text":"Caught error: Boom()"}],"testID":"DemoTests.BrokenInit\/x()\/DemoTests.swift:81:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1147.158828919,"since1970":1796372738.6291897},"kind":"testEnded","messages":[{"symbol":"fail","text":"Test x() failed after 0.001 seconds with 1 issue."}],"testID":"DemoTests.BrokenInit\/x()\/DemoTests.swift:81:4"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1147.159225058,"since1970":1796372738.629586},"kind":"testEnded","messages":[{"symbol":"fail","text":"Suite BrokenInit failed after 0.001 seconds with 1 issue."}],"testID":"DemoTests.BrokenInit"},"version":"6.3.0"}
{"kind":"event","payload":{"instant":{"absolute":1147.159381,"since1970":1796372738.629742},"kind":"runEnded","messages":[{"symbol":"fail","text":"Test run with 3 tests in 2 suites failed after 0.002 seconds with 1 issue."}]},"version":"6.3.0"}
"""# + "\n"
}

@Suite struct SwiftTestingEventsTests {
  typealias Fixtures = SwiftTestingFixtures

  /// The fields a report states, without durations and details, which are checked on their own.
  static func stated(_ cases: [TestCase]) -> [TestCase] {
    cases.map { testCase in
      var copy = testCase
      copy.durationMs = nil
      copy.details = nil
      return copy
    }
  }

  @Test func realStreamMapsEveryTestFunction() {
    let report = SwiftTestingEvents.parse(Fixtures.stream63)
    #expect(report.recognized)
    #expect(report.problems == [])
    #expect(!report.buildFailed)
    let file = Fixtures.file
    let expected: [TestCase] = [
      TestCase(suite: "", name: "passes()", id: "DemoTests.passes()", status: .passed, file: file, line: 8),
      TestCase(
        suite: "", name: "failsExpect()", id: "DemoTests.failsExpect()", status: .failed, file: file, line: 15,
        message: "Expectation failed: (a → 1) == (b → 2)"),
      TestCase(
        suite: "", name: "failsRequire()", id: "DemoTests.failsRequire()", status: .failed, file: file, line: 20,
        message: "Expectation failed: value → nil"),
      TestCase(
        suite: "", name: "throwsError()", id: "DemoTests.throwsError()", status: .failed, file: file, line: 24,
        message: "Caught error: Boom()"),
      TestCase(
        suite: "", name: "skipped()", id: "DemoTests.skipped()", status: .skipped, file: file, line: 28,
        message: #"Test skipped() skipped: "not ready yet""#),
      TestCase(
        suite: "", name: "parameterized(n:)", id: "DemoTests.parameterized(n:)", status: .failed, file: file,
        line: 31,
        message: "Expectation failed: (n → 2) != 2\nparameterized: at least one of 3 test cases failed"),
      TestCase(
        suite: "MathSuite", name: "insideSuite()", id: "DemoTests.MathSuite/insideSuite()", status: .failed,
        file: file, line: 36, message: "Expectation failed: (add(2, 2) → 4) == 5\nmath is broken"),
      TestCase(
        suite: "MathSuite", name: "named()", id: "DemoTests.MathSuite/named()", status: .passed, file: file,
        line: 38),
      TestCase(
        suite: "MathSuite.Nested", name: "deep()", id: "DemoTests.MathSuite/Nested/deep()", status: .passed,
        file: file, line: 42),
      TestCase(suite: "", name: "knownIssue()", id: "DemoTests.knownIssue()", status: .passed, file: file, line: 46),
    ]
    #expect(Self.stated(report.cases) == expected)
  }

  @Test func detailsAndDurations() throws {
    let report = SwiftTestingEvents.parse(Fixtures.stream63)
    let known = try #require(report.cases.first { $0.name == "knownIssue()" })
    #expect(known.details == "\(Fixtures.file):47: (known issue) Expectation failed: 1 == 2")
    let inSuite = try #require(report.cases.first { $0.name == "insideSuite()" })
    #expect(inSuite.details == "\(Fixtures.file):36: Expectation failed: (add(2, 2) → 4) == 5\nmath is broken")
    // testStarted → testEnded instants: 1.4488… ms for insideSuite() in this capture.
    let duration = try #require(inSuite.durationMs)
    #expect(duration > 1.4 && duration < 1.5)
    let skipped = try #require(report.cases.first { $0.name == "skipped()" })
    #expect(skipped.durationMs == nil)
  }

  @Test func schemaZeroNamesTheFailingArgument() {
    let report = SwiftTestingEvents.parse(Fixtures.streamV0)
    #expect(report.problems == [])
    let file = Fixtures.file
    #expect(
      Self.stated(report.cases) == [
        TestCase(
          suite: "", name: "parameterized(n:)", id: "DemoTests.parameterized(n:)", status: .failed, file: file,
          line: 31,
          message: "Expectation failed: (n → 2) != 2\nparameterized: 1 of 3 test cases failed (arguments: 2)"),
        TestCase(suite: "", name: "knownIssue()", id: "DemoTests.knownIssue()", status: .passed, file: file, line: 46),
      ])
  }

  @Test func crashedRunReportsUnfinishedTests() {
    let report = SwiftTestingEvents.parse(Fixtures.crashed)
    let unfinished = "did not finish (the run ended or crashed during this test)"
    #expect(
      Self.stated(report.cases) == [
        TestCase(
          suite: "", name: "passes()", id: "DemoTests.passes()", status: .failed, file: Fixtures.file, line: 8,
          message: unfinished),
        TestCase(
          suite: "CrashSuite", name: "crashes()", id: "DemoTests.CrashSuite/crashes()", status: .failed,
          file: Fixtures.file, line: 56, message: unfinished),
      ])
    #expect(
      report.problems == [
        "the stream has no runEnded event: the test process stopped before the run finished (crash, kill or timeout)",
        "2 tests started but did not finish: DemoTests.passes(), DemoTests.CrashSuite/crashes()",
      ])
  }

  @Test func warningsPassAndCancellationSkips() {
    let report = SwiftTestingEvents.parse(Fixtures.extras)
    #expect(report.problems == [])
    let file = Fixtures.file
    #expect(
      Self.stated(report.cases) == [
        TestCase(
          suite: "Extras", name: "warns()", id: "DemoTests.Extras/warns()", status: .passed, file: file, line: 63),
        TestCase(
          suite: "Extras", name: "cancels()", id: "DemoTests.Extras/cancels()", status: .skipped, file: file,
          line: 66, message: #"Test cancels() was cancelled after 0.001 seconds: "not on this platform""#),
        TestCase(
          suite: "Extras", name: "cancelsCase(s:)", id: "DemoTests.Extras/cancelsCase(s:)", status: .passed,
          file: file, line: 69),
      ])
    #expect(report.cases.first?.details == "\(file):64: (warning) Issue recorded\njust a warning")
  }

  @Test func disabledSuiteSkipsEachTestAndAThrowingInitFails() {
    let report = SwiftTestingEvents.parse(Fixtures.disabledAndBrokenInit)
    let file = Fixtures.file
    #expect(
      Self.stated(report.cases) == [
        TestCase(
          suite: "OffSuite", name: "a()", id: "DemoTests.OffSuite/a()", status: .skipped, file: file, line: 75,
          message: #"Test a() skipped: "whole suite off""#),
        TestCase(
          suite: "OffSuite", name: "b()", id: "DemoTests.OffSuite/b()", status: .skipped, file: file, line: 76,
          message: #"Test b() skipped: "whole suite off""#),
        TestCase(
          suite: "BrokenInit", name: "x()", id: "DemoTests.BrokenInit/x()", status: .failed, file: file, line: 81,
          message: "Caught error: Boom()"),
      ])
  }

  /// `swift test --filter` takes a regular expression; Swift Testing matches it against the full id (with its
  /// `/File.swift:line:column` tail), SwiftPM matches XCTest's `Module.Class/test` as is. Both forms were run on
  /// this machine with these patterns.
  @Test(arguments: [
    ("DemoTests.MathSuite/insideSuite()", #"^DemoTests\.MathSuite/insideSuite\(\)(/|$)"#),
    ("DemoTests.parameterized(n:)", #"^DemoTests\.parameterized\(n:\)(/|$)"#),
    ("DemoTests.LegacyTests/testBad", #"^DemoTests\.LegacyTests/testBad(/|$)"#),
  ])
  func filterPattern(id: String, pattern: String) {
    #expect(SwiftTestingEvents.filterPattern(forID: id) == pattern)
  }

  @Test func garbageLinesAreCountedOnce() {
    var lines = Fixtures.stream63.split(separator: "\n").map(String.init)
    lines.insert("Test Suite 'All tests' started", at: 3)
    lines.insert("{\"kind\": ", at: 10)
    lines.insert("[1, 2, 3]", at: 20)
    lines.insert(#"{"kind":"somethingNew","payload":{},"version":"9.0"}"#, at: 25)
    let report = SwiftTestingEvents.parse(lines.joined(separator: "\n") + "\n")
    #expect(report.problems == ["skipped 3 lines that are not event-stream records"])
    #expect(report.cases == SwiftTestingEvents.parse(Fixtures.stream63).cases)
  }

  @Test func everyLinePrefixParses() {
    let whole = SwiftTestingEvents.parse(Fixtures.stream63)
    let lines = Fixtures.stream63.split(separator: "\n", omittingEmptySubsequences: false)
    for count in 0...lines.count {
      let prefix = lines.prefix(count).joined(separator: "\n")
      let report = SwiftTestingEvents.parse(prefix)
      #expect(report.cases.count <= whole.cases.count, "prefix of \(count) lines")
      for testCase in report.cases {
        #expect(whole.cases.contains { $0.id == testCase.id }, "prefix of \(count) lines")
      }
    }
  }

  @Test func everyByteOfACrashedStreamAndEveryFewBytesOfAWholeOneParse() {
    for (stream, stride) in [(Fixtures.crashed, 1), (Fixtures.stream63, 11)] {
      let bytes = Array(stream.utf8)
      let whole = SwiftTestingEvents.parse(bytes)
      for end in Swift.stride(from: 0, through: bytes.count, by: stride) {
        let report = SwiftTestingEvents.parse(Array(bytes[..<end]))
        #expect(report.cases.count <= whole.cases.count, "prefix of \(end) bytes")
        // A cut anywhere but a line's end leaves a record that is not JSON (a cut after an inner `}` as well).
        if end > 0 && end < bytes.count && bytes[end - 1] != 0x0A && bytes[end] != 0x0A && report.recognized {
          #expect(report.problems.contains("the last line is cut off mid-record (the stream was truncated)"))
        }
      }
    }
  }

  @Test func invalidUTF8CostsACharacterNotTheRecord() {
    var bytes = Array(Fixtures.stream63.utf8)
    // Corrupt a byte inside a message string ("Caught error: Boom()") and add a line of pure garbage.
    let needle = Array("Caught error".utf8)
    let at = bytes.indices.first { bytes[$0...].starts(with: needle) }
    guard let at else {
      Issue.record("fixture lost its thrown error")
      return
    }
    bytes[at + 1] = 0xFF
    bytes += [0xFE, 0xFF, 0xC0, 0x0A]
    let report = SwiftTestingEvents.parse(bytes)
    #expect(report.cases.count == 10)
    #expect(report.cases.first { $0.name == "throwsError()" }?.message == "C\u{FFFD}ught error: Boom()")
    #expect(report.problems == ["skipped 1 line that are not event-stream records"])
  }

  @Test func otherInputIsUnrecognized() {
    #expect(SwiftTestingEvents.parse("") == .unrecognized)
    #expect(SwiftTestingEvents.parse("\n\n") == .unrecognized)
    #expect(SwiftTestingEvents.parse(#"{"a": 1}"#) == .unrecognized)
    #expect(SwiftTestingEvents.parse("test result: ok. 1 passed\n") == .unrecognized)
  }
}
