import Testing

@testable import MishSearch

struct GlobPatternTests {
  @Test(arguments: [
    // Basename patterns match at any depth.
    ("*.swift", "main.swift", true),
    ("*.swift", "Sources/App/main.swift", true),
    ("*.swift", "main.swiftx", false),
    ("*.swift", ".swift", true),
    ("Makefile", "a/b/Makefile", true),
    ("?.md", "a/b.md", true),
    ("?.md", "ab.md", false),
    ("?.md", "é.md", true),
    ("[abc].txt", "x/b.txt", true),
    ("[!abc].txt", "x/b.txt", false),
    ("[^abc].txt", "x/d.txt", true),
    ("[a-c0-9]x", "7x", true),
    ("[[:digit:]]*", "9lives", true),
    ("[é-ë]", "ê", true),
    // Patterns with a slash match the whole relative path.
    ("src/*.ts", "src/a.ts", true),
    ("src/*.ts", "src/lib/a.ts", false),
    ("src/*.ts", "x/src/a.ts", false),
    ("src/**/*.ts", "src/a.ts", true),
    ("src/**/*.ts", "src/lib/deep/a.ts", true),
    ("**/*.ts", "a.ts", true),
    ("**/*.ts", "x/y/a.ts", true),
    ("**/test/*.py", "pkg/test/t.py", true),
    ("**/test/*.py", "test/t.py", true),
    ("src/**", "src/a/b/c", true),
    ("src/**", "src", false),
    ("*/*.md", "docs/a.md", true),
    ("*/*.md", "a.md", false),
    ("/README.md", "README.md", true),
    ("/README.md", "docs/README.md", false),
    ("./src/*.ts", "src/a.ts", true),
    ("**", "any/thing", true),
    ("a**b", "axxb", true),
    ("a**b", "ax/xb", false),
    // Alternation.
    ("*.{ts,tsx}", "src/app.tsx", true),
    ("*.{ts,tsx}", "src/app.js", false),
    ("{src,lib}/*.c", "lib/x.c", true),
    ("{src,lib}/*.c", "test/x.c", false),
    ("{*.md,docs/*.txt}", "deep/README.md", true),
    ("{*.md,docs/*.txt}", "docs/a.txt", true),
    ("{*.md,docs/*.txt}", "x/docs/a.txt", false),
    ("a{b,c{d,e}}f", "acef", true),
    ("a{b,c{d,e}}f", "acf", false),
    ("file{,.bak}", "file.bak", true),
    ("file{,.bak}", "file", true),
    ("[{]x", "{x", true),
    // Escapes.
    ("\\*.md", "*.md", true),
    ("\\*.md", "a.md", false),
    ("a\\{b\\}", "a{b}", true),
  ])
  func matches(pattern: String, path: String, expected: Bool) throws {
    #expect(try GlobPattern(pattern).matches(path) == expected)
  }

  @Test func trailingSlashMatchesOnlyDirectories() throws {
    let pattern = try GlobPattern("src/*/")
    #expect(pattern.matches("src/lib", isDirectory: true))
    #expect(!pattern.matches("src/lib", isDirectory: false))
  }

  @Test(arguments: [
    ("src/**/*.ts", "src", nil as Int?, false),
    ("src/lib/*.ts", "src/lib", 3, false),
    ("*.swift", "", nil, false),
    ("{src,lib}/*.c", "", 2, false),
    ("{src/a,src/b}/*.c", "src", 3, false),
    (".github/workflows/*.yml", ".github/workflows", 3, false),
    ("**/.env", "", nil, true),
    (".*", "", nil, true),
    ("src/.cache/**", "src/.cache", nil, false),
  ])
  func walkHints(pattern: String, prefix: String, depth: Int?, hidden: Bool) throws {
    let glob = try GlobPattern(pattern)
    #expect(glob.fixedPrefix == prefix)
    #expect(glob.maxDepth == depth)
    #expect(glob.mentionsHidden == hidden)
  }

  @Test(arguments: [
    ("", "empty glob pattern"),
    ("src/[a-", "unclosed character class '[' at offset 4"),
    ("*.{ts,js", "unclosed '{' at offset 2"),
    ("a}b", "unmatched '}' at offset 1"),
    ("abc\\", "a backslash at offset 3 escapes nothing"),
    ("[z-a]", "reversed"),
    ("[[:nope:]]", "unknown character class [:nope:]"),
    ("../x/*.ts", "'..' is not allowed"),
    ("{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}{o,p}{q,r}{s,t}{u,v}", "more than 1024"),
  ])
  func invalidPatternsExplainThemselves(pattern: String, fragment: String) {
    #expect {
      try GlobPattern(pattern)
    } throws: { error in
      guard let error = error as? SearchError else { return false }
      return error.code == .invalidPattern && error.message.contains(fragment) && !error.hint.isEmpty
    }
  }
}
