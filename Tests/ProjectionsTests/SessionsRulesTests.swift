import Testing

@testable import Projections

/// SPEC §4.1 and §4.3, rule by rule.
@Suite struct SessionsRulesTests {
    static let t = P.t0

    @Test func timesCountsPathsAndJourney() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v2("s1", startedAt: Self.t - 500),
            P.v3(
                "s1",
                actions: [
                    P.page(2, "/two", at: Self.t + 1000, duration: 4000), P.page(1, "/one", at: Self.t, duration: 1000),
                    P.goal(2, "signup", at: Self.t + 9000, value: 5),
                ]),
        ])
        let row = try await harness.project(.sessions).one("SELECT * FROM sessions")
        #expect(row["started_at"] == .integer(Self.t - 500), "min of V2 started_at, entered_at, goal times")
        #expect(row["ended_at"] == .integer(Self.t + 9000), "max of entered_at + duration and goal times")
        #expect(row["duration_ms"] == .integer(9500))
        #expect(row["page_count"] == .integer(2))
        #expect(row["entry_path"] == .text("/one") && row["exit_path"] == .text("/two"))
        #expect(row["journey"] == .text(#"["/one","/two"]"#))
        #expect(row["bounced"] == .integer(0) && row["engaged"] == .integer(1) && row["converted"] == .integer(1))
        #expect(row["goal_count"] == .integer(1) && row["goal_value"] == .real(5))
    }

    @Test func aReSentGoalReplacesItsTokenAndNeverAdds() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v3("s1", actions: [P.page(1, "/", at: Self.t), P.goal(1, "buy", at: Self.t + 1, value: 10)]),
            // The client re-sends from checkpoint 0: seq 1 is the same goal (token s:1).
            P.v3("s1", actions: [P.page(1, "/", at: Self.t, final: true), P.goal(1, "buy", at: Self.t + 1, value: 12)]),
            // From checkpoint 2 on, seq 2 is a new goal.
            P.v3("s1", checkpoint: 2, actions: [P.goal(1, "buy", at: Self.t + 2, value: 1)]),
        ])
        let row = try await harness.project(.sessions).one("SELECT goal_count, goal_value FROM sessions")
        #expect(row["goal_count"] == .integer(2))
        #expect(row["goal_value"] == .real(13))
    }

    @Test func bouncedEngagedAndNoPages() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v3("bounce", actions: [P.page(1, "/", at: Self.t, duration: 3000)]),
            P.v3("long", actions: [P.page(1, "/", at: Self.t, duration: 10_000)]),
            P.v2("nopages", startedAt: Self.t),
        ])
        let db = try await harness.project(.sessions)
        let bounce = try db.one("SELECT * FROM sessions WHERE session_id = 'bounce'")
        #expect(bounce["bounced"] == .integer(1) && bounce["engaged"] == .integer(0))
        let long = try db.one("SELECT * FROM sessions WHERE session_id = 'long'")
        #expect(long["bounced"] == .integer(1) && long["engaged"] == .integer(1), "engaged: duration ≥ 10 s")
        let none = try db.one("SELECT * FROM sessions WHERE session_id = 'nopages'")
        #expect(none["bounced"] == .null && none["page_count"] == .integer(0) && none["journey"] == .text("[]"))
        #expect(none["entry_path"] == .null && none["ended_at"] == none["started_at"])
    }

    @Test func zeroActionPayloadsUseTheLeastSentAt() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([P.v3("s1", sentAt: Self.t + 50, actions: []), P.v3("s1", sentAt: Self.t + 20, actions: [])])
        let row = try await harness.project(.sessions).one("SELECT started_at, ended_at FROM sessions")
        #expect(row["started_at"] == .integer(Self.t + 20) && row["ended_at"] == .integer(Self.t + 20))
    }

    @Test func identityComesFromTheFirstRecordAndContextFromTheFirstNonBlankValue() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v1("s1", "e1", "click", at: "2025-06-03T10:15:00.000Z", extra: ["campaign_id": "  ", "ab_test_id": "ab-v1"]),
            P.v2("s1", kind: "renew", old: "s0", site: "other", user: "u2", extra: ["segment_id": " returning ", "campaign_id": "c-2"]),
            P.v3("s1", attributes: ["segment_id": "new", "landing_page_id": "lp-3"], actions: []),
            P.v2("s1", kind: "renew", old: "s-later", extra: [:]),
        ])
        let row = try await harness.project(.sessions).one("SELECT * FROM sessions")
        #expect(row["site_id"] == .text("shop") && row["user_id"] == .text("u1"), "from the session's first record (V1 project_id)")
        #expect(row["segment_id"] == .text("returning"), "trimmed, first non-null in log order")
        #expect(row["campaign_id"] == .text("c-2"), "a blank value never wins")
        #expect(row["ab_test_id"] == .text("ab-v1"))
        #expect(row["landing_page_id"] == .text("lp-3"))
        #expect(row["renewed_from"] == .text("s0"), "the first V2 renew's old_session_id")
    }

    @Test func v1ConversionsAreGoalsWithTheirValueRules() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v1("s1", "c0", "conversion", at: "2025-06-03T10:14:00.000Z", extra: ["event_value": 7]),
            P.v1("s1", "p1", "pageview", at: "2025-06-03T10:15:00.000Z"),
            P.v1("s1", "c1", "conversion", at: "2025-06-03T10:15:01.000Z", extra: ["event_value": "2.5e1"]),
            P.v1("s1", "c2", "conversion", at: "2025-06-03T10:15:02.000Z", extra: ["event_value": "12 EUR"]),
            P.v1("s1", "c3", "conversion", at: "2025-06-03T10:15:03.000Z", extra: ["event_value": " 3"]),
            P.v1("s1", "c1", "conversion", at: "2025-06-03T10:15:04.000Z", extra: ["event_value": 1000]),
        ])
        let row = try await harness.project(.sessions).one("SELECT * FROM sessions")
        #expect(row["goal_count"] == .integer(4), "tokens e:c0, e:c1, e:c2, e:c3; the duplicate e:c1 is ignored")
        #expect(row["goal_value"] == .real(32), "7 + 25 + 0 + 0: a string counts only when it is exactly a JSON number")
        #expect(row["started_at"] == .integer(1_748_945_640_000))
        #expect(row["ended_at"] == .integer(1_748_945_703_000), "V1 timestamps count; the ignored duplicate does not")
    }

    @Test func aJourneyHoldsAtMostTheFirstHundredPages() async throws {
        let harness = try ProjectionHarness()
        let actions = (1...120).map { P.page($0, "/p\($0)", at: Self.t + Int64($0)) }
        try await harness.append([P.v3("s1", actions: actions)])
        let row = try await harness.project(.sessions).one("SELECT journey, page_count, exit_path FROM sessions")
        guard case .text(let journey) = row["journey"] else { Issue.record("journey is not text"); return }
        #expect(journey.split(separator: ",").count == 100 && journey.hasSuffix(#""/p100"]"#))
        #expect(row["page_count"] == .integer(120) && row["exit_path"] == .text("/p120"))
    }

    @Test func versionOneOfSessionsLacksTheV3Columns() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([P.v3("s1", attributes: ["segment_id": "x"], actions: [P.goal(1, "g", at: Self.t)])])
        let row = try await harness.project(.sessions, version: 1).one("SELECT * FROM sessions")
        #expect(row["goal_count"] == nil && row["goal_value"] == nil && row["segment_id"] == nil)
        #expect(row["converted"] == .integer(1))
    }
}
