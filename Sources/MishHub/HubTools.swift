import MishJSON
import MishRPC

/// The hub's operations, declared once: native `hub/*` methods, MCP `hub_*` tools and schemas/hub/ derive from them.
public enum HubTools {
  /// `hub` nil: the operations only as declarations (for schemas/); calling one is an internal error.
  public static func operations(_ hub: Hub?) -> [OperationSpec] {
    [spawn(hub), sessions(hub), call(hub), kill(hub), events(hub), claim(hub), release(hub), overlaps(hub), decisions(hub), submit(hub), queue(hub)]
  }

  /// The hub's configuration files' schemas, for schemas/ (`hub/config.schema.json`).
  public static let documents: [(name: String, schema: JSONValue)] = [("hub/config", HubConfig.schema)]

  static func need(_ hub: Hub?) throws(ToolError) -> Hub {
    guard let hub else { throw ToolError(.internal, "No hub is running in this process", hint: "Start one with mish hub --repo DIR.") }
    return hub
  }

  static let sessionID = Schema.string("A session_id from hub_spawn (or hub_sessions).", minLength: 1)

  static let sessionSchema = Schema.object(
    "A session.",
    [
      "session_id": .required(Schema.string()),
      "state": .required(Schema.string(enum: SessionState.allCases.map(\.rawValue))),
      "branch": .required(Schema.string("Its branch, mish/<session_id>.")),
      "worktree": .required(Schema.string("Its worktree (absolute).")),
      "base": .required(Schema.string("The commit it branched from.")),
      "task": .required(Schema.string()),
      "profile": .required(Schema.string("Sandbox profile of its commands.")),
      "created_ms": .required(Schema.integer(nil, minimum: 0)),
      "in_flight": .required(Schema.integer("Calls it is running now.", minimum: 0)),
      "pid": .optional(Schema.integer("Its server's process id.")),
      "reason": .optional(Schema.string("Why it is in this state (failed, killed, stuck).")),
    ])

  static func spawn(_ hub: Hub?) -> OperationSpec {
    OperationSpec(
      name: "hub/spawn", title: "Start a session",
      summary: "Starts an agent session on a new branch mish/<id> from a recorded base commit, in its own worktree (taken from a pool of prepared ones when possible), served by its own sandboxed mish server. Drive it with hub_call.",
      params: Schema.object(
        nil,
        [
          "task": .optional(Schema.string("What the session is for (shown in hub_sessions and events).", default: "")),
          "base": .optional(Schema.string("Branch, tag or commit to start from (default: the repository's current branch).", minLength: 1)),
          "profile": .optional(Schema.string("Sandbox profile its commands run under unless a call names one (sandbox/*.json: read-only, workspace-write, workspace-write-net, test, none). Default: session.profile of .mish/config.json, else workspace-write.", minLength: 1)),
        ]),
      result: sessionSchema,
      annotations: Annotations(readOnly: false, destructive: false, idempotent: false, openWorld: false),
      footprint: { _ in .barrier },
      render: { result in
        "session \(result["session_id"]?.stringValue ?? "") \(result["state"]?.stringValue ?? "") on \(result["branch"]?.stringValue ?? "") at \(result["worktree"]?.stringValue ?? "")"
      },
      handler: .async { args, _ throws(ToolError) in
        let hub = try need(hub)
        let session = try await hub.spawn(task: args.string("task") ?? "", base: args.string("base"), profile: args.string("profile") ?? hub.config.sessionProfile)
        return hub.json(session)
      })
  }

  static func sessions(_ hub: Hub?) -> OperationSpec {
    OperationSpec(
      name: "hub/sessions", title: "List sessions",
      summary: "Every session of this hub with its state, branch, worktree, base and task, oldest first.",
      params: Schema.object(nil, ["state": .optional(Schema.string("Only sessions in this state.", enum: SessionState.allCases.map(\.rawValue)))]),
      result: Schema.object(nil, ["sessions": .required(Schema.array(of: sessionSchema))]),
      annotations: Annotations(readOnly: true, destructive: false, idempotent: true, openWorld: false),
      footprint: { _ in .none },
      render: { result in
        let rows = (result["sessions"]?.arrayValue ?? []).map { session in
          "\(session["session_id"]?.stringValue ?? "")  \(session["state"]?.stringValue ?? "")  \(session["branch"]?.stringValue ?? "")  \(session["task"]?.stringValue ?? "")"
        }
        return rows.isEmpty ? "(no sessions)" : rows.joined(separator: "\n")
      },
      handler: .blocking { args, _ throws(ToolError) in
        let hub = try need(hub)
        let state = args.string("state")
        let list = hub.allSessions().filter { state == nil || $0.state.rawValue == state }.map(hub.json)
        return .object(["sessions": .array(list)])
      })
  }

  static func call(_ hub: Hub?) -> OperationSpec {
    OperationSpec(
      name: "hub/call", title: "Call a session",
      summary: "Sends one call (a native method such as fs/read, exec/run, git/commit, test/run) to a session's server and returns its result; the session's errors come back as they are. A write to a path another session leases exclusively is refused with leased.",
      params: Schema.object(
        nil,
        [
          "session_id": .required(sessionID),
          "method": .required(Schema.string("The session method, e.g. fs/read (session_info lists the tools; the method is the tool name with _ → /).", minLength: 1)),
          "params": .optional(Schema.any("The method's params.")),
        ]),
      result: Schema.any("The session's own result for the method."),
      annotations: Annotations(readOnly: false, destructive: true, idempotent: false, openWorld: true),
      footprint: { _ in .none },
      render: { result in JSONWriter.string(result) },
      handler: .callback { args, context, reply in
        do throws(ToolError) {
          let hub = try need(hub)
          return hub.call(try args.require("session_id"), method: try args.require("method"), params: args["params"] ?? .null, context: context, done: reply)
        } catch {
          reply(.failure(error))
          return {}
        }
      })
  }

  static func kill(_ hub: Hub?) -> OperationSpec {
    OperationSpec(
      name: "hub/kill", title: "End a session",
      summary: "Stops a session's server and everything it runs, releases its leases, and reclaims its worktree when nothing uncommitted would be lost (its branch always stays). Changes it already submitted stay in the merge queue (listed in queued).",
      params: Schema.object(nil, ["session_id": .required(sessionID)]),
      result: Schema.object(
        nil,
        [
          "session_id": .required(Schema.string()), "state": .required(Schema.string()),
          "worktree_kept": .required(Schema.boolean("True when uncommitted changes kept the worktree.")),
          "reason": .required(Schema.nullable(Schema.string())),
          "queued": .required(Schema.array("Queue ids of its submitted changes still in the merge queue: killing the session does not withdraw them; each lands if it passes its gates (hub_queue).", of: Schema.integer())),
        ]),
      annotations: Annotations(readOnly: false, destructive: true, idempotent: false, openWorld: false),
      footprint: { _ in .barrier },
      render: { result in
        let queued = (result["queued"]?.arrayValue ?? []).compactMap(\.intValue).map { "#\($0)" }
        return "session \(result["session_id"]?.stringValue ?? "") killed" + (result["reason"]?.stringValue.map { "; \($0)" } ?? "; worktree reclaimed")
          + (queued.isEmpty ? "" : "; still in the merge queue: \(queued.joined(separator: " ")) (it lands if it passes)")
      },
      handler: .async { args, _ throws(ToolError) in try await need(hub).kill(try args.require("session_id")) })
  }

  static func events(_ hub: Hub?) -> OperationSpec {
    OperationSpec(
      name: "hub/events", title: "Read events",
      summary: "The hub's event log from a seq on (calls with method, args digest, outcome and duration; state changes; leases; commits; decisions), waiting up to wait_ms for new ones.",
      params: Schema.object(
        nil,
        [
          "since_seq": .optional(Schema.integer("Events after this seq (0: from the start).", minimum: 0, default: 0)),
          "limit": .optional(Schema.integer(nil, minimum: 1, maximum: 10_000, default: 500)),
          "wait_ms": .optional(Schema.integer("Long-poll: wait this long for an event when there is none yet.", minimum: 0, maximum: 300_000, default: 0)),
        ]),
      result: Schema.object(
        nil,
        [
          "events": .required(Schema.array(of: Schema.object("An event: seq, time, time_ms, kind, session_id, and its own fields.", [
            "seq": .required(Schema.integer(nil, minimum: 1)),
            "time": .required(Schema.string("When it happened, UTC (RFC 3339, milliseconds).")),
            "time_ms": .required(Schema.integer("The same time in milliseconds since the Unix epoch.", minimum: 0)),
            "kind": .required(Schema.string()), "session_id": .required(Schema.nullable(Schema.string())),
          ], additionalProperties: true))),
          "next_seq": .required(Schema.integer("Pass as since_seq to read on.", minimum: 0)),
          "oldest_seq": .required(Schema.integer("The oldest event the journal still keeps (events.keep in .mish/config.json; 0: none yet): a since_seq below it missed the ones trimmed away.", minimum: 0)),
        ]),
      annotations: Annotations(readOnly: true, destructive: false, idempotent: true, openWorld: false),
      footprint: { _ in .none },
      render: { result in
        let lines = (result["events"]?.arrayValue ?? []).map { event in
          "\(event["seq"]?.intValue ?? 0) \(event["kind"]?.stringValue ?? "") \(event["session_id"]?.stringValue ?? "-")"
        }
        return (lines.isEmpty ? "(no events)" : lines.joined(separator: "\n")) + "\nnext_seq: \(result["next_seq"]?.intValue ?? 0)"
      },
      handler: .async { args, _ throws(ToolError) in
        let hub = try need(hub)
        let (events, next) = try await hub.events(since: args.int("since_seq") ?? 0, limit: args.int("limit") ?? 500, waitMs: args.int("wait_ms") ?? 0)
        return .object(["events": .array(events), "next_seq": .int(next), "oldest_seq": .int(try hub.oldestEventSeq())])
      })
  }

  static let leaseSchema = Schema.object(
    nil,
    [
      "lease_id": .required(Schema.integer()), "session_id": .required(Schema.string()), "pattern": .required(Schema.string()),
      "exclusive": .required(Schema.boolean()), "expires_ms": .required(Schema.integer()),
    ])

  static func claim(_ hub: Hub?) -> OperationSpec {
    OperationSpec(
      name: "hub/claim", title: "Lease paths",
      summary: "Leases paths or globs to a session for ttl_s: exclusive (no other session may write there through the hub, or lease them) or shared (others may share, nobody may take them exclusively). All granted or none; conflicts name their holders.",
      params: Schema.object(
        nil,
        [
          "session_id": .required(sessionID),
          "paths": .required(Schema.array("Paths or globs relative to the worktree (src/**, docs/api.md).", of: Schema.string(minLength: 1), minItems: 1)),
          "exclusive": .optional(Schema.boolean(nil, default: true)),
          "ttl_s": .optional(Schema.integer("Seconds until the lease lapses.", minimum: 1, maximum: 86_400, default: 1800)),
        ]),
      result: Schema.object(
        nil,
        [
          "granted": .required(Schema.boolean()), "leases": .required(Schema.array(of: leaseSchema)),
          "conflicts": .required(Schema.array("Other sessions' leases in the way.", of: leaseSchema)),
        ]),
      annotations: Annotations(readOnly: false, destructive: false, idempotent: true, openWorld: false),
      footprint: { _ in .barrier },
      render: { result in
        if result["granted"]?.boolValue == true { return "granted \(result["leases"]?.arrayValue?.count ?? 0) lease(s)" }
        return "refused; held by " + (result["conflicts"]?.arrayValue ?? []).map { "\($0["session_id"]?.stringValue ?? "") (\($0["pattern"]?.stringValue ?? ""))" }.joined(separator: ", ")
      },
      handler: .blocking { args, _ throws(ToolError) in
        let hub = try need(hub)
        return try hub.claim(session: try args.require("session_id"), patterns: args.strings("paths") ?? [], exclusive: args.bool("exclusive", default: true), ttlSeconds: args.int("ttl_s") ?? 1800)
      })
  }

  static func release(_ hub: Hub?) -> OperationSpec {
    OperationSpec(
      name: "hub/release", title: "Release leases",
      summary: "Releases a session's leases on the given patterns, or all of them.",
      params: Schema.object(
        nil,
        ["session_id": .required(sessionID), "paths": .optional(Schema.array("Patterns as claimed; none: every lease of the session.", of: Schema.string()))]),
      result: Schema.object(nil, ["released": .required(Schema.integer(nil, minimum: 0))]),
      annotations: Annotations(readOnly: false, destructive: false, idempotent: true, openWorld: false),
      footprint: { _ in .barrier },
      render: { result in "released \(result["released"]?.intValue ?? 0) lease(s)" },
      handler: .blocking { args, _ throws(ToolError) in try need(hub).release(session: try args.require("session_id"), patterns: args.strings("paths")) })
  }

  static func overlaps(_ hub: Hub?) -> OperationSpec {
    OperationSpec(
      name: "hub/overlaps", title: "Find overlapping work",
      summary: "Files changed by more than one live session (committed on its branch since its base, or not yet committed), before anyone submits.",
      params: Schema.object(nil, [:]),
      result: Schema.object(
        nil,
        [
          "files": .required(Schema.array(of: Schema.object(nil, ["path": .required(Schema.string()), "sessions": .required(Schema.array(of: Schema.string()))]))),
          "skipped": .required(Schema.array("Sessions that could not be asked.", of: Schema.object(nil, ["session_id": .required(Schema.string()), "error": .required(Schema.string())]))),
        ]),
      annotations: Annotations(readOnly: true, destructive: false, idempotent: true, openWorld: false),
      footprint: { _ in .none },
      render: { result in
        let files = (result["files"]?.arrayValue ?? []).map { "\($0["path"]?.stringValue ?? ""): \(($0["sessions"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", "))" }
        return files.isEmpty ? "no overlaps" : files.joined(separator: "\n")
      },
      handler: .async { _, context throws(ToolError) in try await need(hub).overlaps(context: context) })
  }

  static func decisions(_ hub: Hub?) -> OperationSpec {
    OperationSpec(
      name: "hub/decisions", title: "Shared decisions",
      summary: "The decisions log every session sees in its session_info: add an entry (who wrote it is recorded) or list them.",
      params: Schema.object(
        nil,
        [
          "action": .optional(Schema.string(enum: ["add", "list"], default: "list")),
          "text": .optional(Schema.string("The decision (for add).", minLength: 1)),
          "session_id": .optional(Schema.string("The session writing it (for add; default: the hub's caller).")),
        ]),
      result: Schema.object(
        nil,
        ["decisions": .required(Schema.array(of: Schema.object(nil, [
          "decision_id": .required(Schema.integer()), "time_ms": .required(Schema.integer()), "author": .required(Schema.string()),
          "text": .required(Schema.string()),
        ])))]),
      annotations: Annotations(readOnly: false, destructive: false, idempotent: false, openWorld: false),
      footprint: { _ in .barrier },
      render: { result in
        let lines = (result["decisions"]?.arrayValue ?? []).map { "#\($0["decision_id"]?.intValue ?? 0) [\($0["author"]?.stringValue ?? "")] \($0["text"]?.stringValue ?? "")" }
        return lines.isEmpty ? "(no decisions)" : lines.joined(separator: "\n")
      },
      handler: .blocking { args, _ throws(ToolError) in
        let hub = try need(hub)
        if args.string("action") == "add" {
          guard let text = args.string("text") else {
            throw ToolError(.invalidArgument, "add needs text", hint: "Pass text: the decision, in a sentence.")
          }
          var author = "hub"
          if let id = args.string("session_id") { author = try hub.session(id).id }
          _ = try hub.addDecision(text: text, author: author)
        }
        return .object(["decisions": .array(hub.decisions())])
      })
  }
}

extension HubTools {
  static let gateResultSchema = Schema.object(
    "One gate run: outcome passed, flaky (failed, then passed on the same tree), failed, timed_out or error; with the failures, diagnostics and log tail a fix needs.",
    [
      "name": .required(Schema.string()), "phase": .required(Schema.string(enum: HubConfig.Phase.allCases.map(\.rawValue))),
      "outcome": .required(Schema.string(enum: ["passed", "flaky", "failed", "timed_out", "error"])),
      "commit": .required(Schema.string("The commit it ran on.")), "tree": .required(Schema.string("That commit's tree (results are cached by tree).")),
      "duration_ms": .required(Schema.integer(nil, minimum: 0)), "cached": .required(Schema.boolean("True when an earlier run on the same tree answered.")),
      "attempts": .required(Schema.integer(nil, minimum: 1, maximum: 2)),
    ], additionalProperties: true)

  static let queueItemSchema = Schema.object(
    "A change in the merge queue.",
    [
      "queue_id": .required(Schema.integer(nil, minimum: 1)), "session_id": .required(Schema.string()), "branch": .required(Schema.string()),
      "head": .required(Schema.string("The branch's commit, frozen at submit.")), "message": .required(Schema.string()),
      "priority": .required(Schema.integer()), "no_batch": .required(Schema.boolean()),
      "state": .required(Schema.string(enum: QueueItem.State.allCases.map(\.rawValue))),
      "submitted_ms": .required(Schema.integer(nil, minimum: 0)), "updated_ms": .required(Schema.integer(nil, minimum: 0)),
      "gates": .required(Schema.array("The latest gate runs that concern it.", of: gateResultSchema)),
      "reason": .optional(Schema.object(
        "Why it was rejected, as data: conflicting paths with base/ours/theirs, or the failing gate with its parsed failures and diagnostics.",
        [
          "kind": .required(Schema.string(enum: ["conflict", "gate_failed", "dirty", "error"])), "message": .required(Schema.string()),
          "hint": .optional(Schema.string()),
          "paths": .optional(Schema.array(of: Schema.string())),
          "conflicts": .optional(Schema.array(of: Schema.object(nil, [
            "path": .required(Schema.string()), "kind": .required(Schema.string()),
            "base": .required(Schema.any("{oid, mode} or null")), "ours": .required(Schema.any("{oid, mode} or null")), "theirs": .required(Schema.any("{oid, mode} or null")),
          ]))),
          "gate": .optional(Schema.string()), "phase": .optional(Schema.string()),
          "failures": .optional(Schema.array(of: Schema.any())), "diagnostics": .optional(Schema.array(of: Schema.any())),
        ], additionalProperties: true)),
      "landed_sha": .optional(Schema.string("The commit on the target that carries it.")),
      "batch": .optional(Schema.array("Queue ids landed in the same commit.", of: Schema.integer())),
      "note": .optional(Schema.string("What happened last (requeued behind a batch-mate, split out of a failed batch, …).")),
    ])

  static func submit(_ hub: Hub?) -> OperationSpec {
    OperationSpec(
      name: "hub/submit", title: "Submit for landing",
      summary: "Queues a session's committed branch head for landing on the target: gated (pre-merge on the branch, post-merge and release on the merged tree), merged in memory and landed by compare-and-swap. Refused while the worktree has uncommitted work (listed). A rejection comes back as data (hub_queue, event queue.rejected); fix, commit and submit again.",
      params: Schema.object(
        nil,
        [
          "session_id": .required(sessionID),
          "message": .optional(Schema.string("What the change does (the landing commit's message; default: the session's task).")),
          "priority": .optional(Schema.integer("Higher lands first.", minimum: -1000, maximum: 1000, default: 0)),
          "no_batch": .optional(Schema.boolean("Gate and land this change alone (for risky changes).", default: false)),
        ]),
      result: Schema.object(nil, ["queue_id": .required(Schema.integer(nil, minimum: 1)), "item": .required(queueItemSchema)]),
      annotations: Annotations(readOnly: false, destructive: false, idempotent: false, openWorld: false),
      footprint: { _ in .barrier },
      render: { result in "queued as #\(result["queue_id"]?.intValue ?? 0) (\(result["item"]?["head"]?.stringValue?.prefix(12) ?? ""))" },
      handler: .async { args, _ throws(ToolError) in
        try await need(hub).submit(try args.require("session_id"), message: args.string("message"), priority: args.int("priority") ?? 0, noBatch: args.bool("no_batch", default: false))
      })
  }

  static func queue(_ hub: Hub?) -> OperationSpec {
    OperationSpec(
      name: "hub/queue", title: "Read the merge queue",
      summary: "The merge queue's items, oldest first, with state (queued, merging, gating, landed, rejected), gate results, the rejection reason as data, and the landed commit; plus the target branch and its commit.",
      params: Schema.object(
        nil,
        [
          "state": .optional(Schema.string("Only items in this state.", enum: QueueItem.State.allCases.map(\.rawValue))),
          "queue_id": .optional(Schema.integer("Only this item.", minimum: 1)),
        ]),
      result: Schema.object(
        nil,
        [
          "target": .required(Schema.nullable(Schema.string("The branch changes land on."))),
          "target_sha": .required(Schema.nullable(Schema.string())),
          "items": .required(Schema.array(of: queueItemSchema)),
        ]),
      annotations: Annotations(readOnly: true, destructive: false, idempotent: true, openWorld: false),
      footprint: { _ in .none },
      render: { result in
        let rows = (result["items"]?.arrayValue ?? []).map { item in
          let gates = (item["gates"]?.arrayValue ?? []).map { "\($0["name"]?.stringValue ?? ""):\($0["outcome"]?.stringValue ?? "")" }.joined(separator: " ")
          let why = item["reason"]?["message"]?.stringValue.map { " — \($0)" } ?? ""
          return "#\(item["queue_id"]?.intValue ?? 0) \(item["session_id"]?.stringValue ?? "") \(item["state"]?.stringValue ?? "") [\(gates)]\(why)"
        }
        return "target \(result["target"]?.stringValue ?? "-") at \(result["target_sha"]?.stringValue?.prefix(12) ?? "-")\n" + (rows.isEmpty ? "(queue empty)" : rows.joined(separator: "\n"))
      },
      handler: .blocking { args, _ throws(ToolError) in
        let hub = try need(hub)
        return hub.queueJSON(state: args.string("state").flatMap(QueueItem.State.init(rawValue:)), id: args.int("queue_id"))
      })
  }
}
