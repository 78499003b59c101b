// .mish/config.json: defaults, every field read, and each kind of mistake named.
import MishJSON
import Testing

@testable import MishHub

@Suite("Hub configuration")
struct HubConfigTests {
  func parse(_ text: String) throws -> HubConfig {
    try HubConfig.parse(try JSONParser.parse(Array(text.utf8)))
  }

  func failure(_ text: String) -> String {
    do {
      _ = try parse(text)
      return "(parsed)"
    } catch {
      return "\(error)"
    }
  }

  @Test func emptyConfigurationHasTheDefaults() throws {
    let config = try parse("{}")
    #expect(config.target == nil && config.sessionProfile == "workspace-write" && config.gateProfile == "test")
    #expect(config.batchSize == 4 && config.batchWaitMs == 2000 && config.parallelGates == 2)
    #expect(config.eventsKeep == 1_000_000)
    #expect(config.gates.map(\.name) == ["tests"])
    guard case .tool(let method, let params) = config.gates[0].action else { Issue.record("a tool gate"); return }
    #expect(method == "test/run" && params["runner"] == "auto" && config.gates[0].phase == .postMerge)
  }

  @Test func everyFieldIsRead() throws {
    let config = try parse("""
      {"target": "trunk", "session": {"profile": "test", "limits": {"memory_mb": 4096, "pids": 512, "timeout_ms": 600000}},
       "gate_profile": "workspace-write",
       "gates": [{"name": "build", "tool": "build/run", "phase": "pre-merge", "timeout_ms": 1000},
                 {"name": "lint", "command": "make lint"},
                 {"name": "release", "command": "make release-check", "phase": "release"}],
       "queue": {"batch_size": 8, "batch_wait_ms": 0, "parallel_gates": 3}, "events": {"keep": 5000}}
      """)
    #expect(config.target == "trunk" && config.sessionProfile == "test" && config.gateProfile == "workspace-write")
    #expect(config.sessionLimits["pids"] == 512)
    #expect(config.batchSize == 8 && config.batchWaitMs == 0 && config.parallelGates == 3 && config.eventsKeep == 5000)
    #expect(config.gates.map(\.phase) == [.preMerge, .postMerge, .release])
    #expect(config.gates(.preMerge).map(\.name) == ["build"] && config.gates[0].timeoutMs == 1000 && config.gates[1].timeoutMs == 600_000)
    guard case .command(let command) = config.gates[1].action else { Issue.record("a command gate"); return }
    #expect(command == "make lint")
  }

  @Test func aGatesKeyChangesWithItsDefinition() throws {
    let one = try parse(#"{"gates": [{"name": "t", "command": "make test"}]}"#).gates[0].key
    let same = try parse(#"{"gates": [{"name": "t", "command": "make test"}]}"#).gates[0].key
    let other = try parse(#"{"gates": [{"name": "t", "command": "make test V=1"}]}"#).gates[0].key
    #expect(one == same && one != other)
  }

  @Test(arguments: [
    (#"{"gates": [{"name": "x", "comand": "true"}]}"#, "comand"),
    (#"{"gates": [{"name": "x"}]}"#, "exactly one of tool"),
    (#"{"gates": [{"name": "x", "tool": "test/run", "command": "true"}]}"#, "exactly one of tool"),
    (#"{"gates": [{"name": "x", "command": "true", "params": {}}]}"#, "params belong to a tool gate"),
    (#"{"gates": [{"name": "x", "command": "a"}, {"name": "x", "command": "b"}]}"#, "a second gate named x"),
    (#"{"gates": [{"name": "x", "command": "a", "phase": "later"}]}"#, "phase"),
    (#"{"queue": {"batch_size": 0}}"#, "batch_size"),
    (#"{"target": 3}"#, "target"),
  ])
  func mistakesAreNamed(text: String, expected: String) {
    let message = failure(text)
    #expect(message.contains(expected), "\(message)")
  }
}
