import SessionlogTestKit
import Testing

@testable import Projections

/// SPEC §4.4, rule by rule.
@Suite struct FunnelsRulesTests {
    static let t = P.t0

    static func definition(_ funnel: String) -> String { #"{"funnels":[\#(funnel)]}"# }

    static let checkout = definition(
        #"{"name":"checkout","site_id":"shop","steps":[{"name":"Landing","page":"/"},{"name":"Product","page":"/products/*"},{"name":"Cart","goal":"add_to_cart"},{"name":"Checkout","page":"/checkout*"}]}"#
    )

    @Test func globsGoalsAndStepRates() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v3("all", actions: [P.page(1, "/", at: Self.t), P.page(2, "/products/a/b", at: Self.t + 1), P.goal(2, "add_to_cart", at: Self.t + 2), P.page(3, "/checkout/pay", at: Self.t + 3)]),
            P.v3("two", actions: [P.page(1, "/", at: Self.t), P.page(2, "/products/1", at: Self.t + 1)]),
            P.v3("one", actions: [P.page(1, "/", at: Self.t), P.page(2, "/Products/1", at: Self.t + 1)]),
            P.v3("none", actions: [P.page(1, "/products/1", at: Self.t)]),
            P.v3("othersite", site: "blog", actions: [P.page(1, "/", at: Self.t)]),
        ])
        let db = try await harness.project(.funnels, funnels: Self.checkout)
        let reached = try db.objects("SELECT session_id, reached_step FROM funnel_sessions ORDER BY session_id")
        #expect(reached.map { $0["session_id"] } == [.text("all"), .text("one"), .text("two")], "reached_step ≥ 1 and the funnel's site only")
        #expect(reached.map { $0["reached_step"] } == [.integer(4), .integer(1), .integer(2)], "globs are case-sensitive; * spans /")
        let steps = try db.objects("SELECT * FROM funnel_steps ORDER BY step_index")
        #expect(steps.map { $0["sessions"] } == [.integer(3), .integer(2), .integer(1), .integer(1)])
        let third: Double = 1.0 / 3
        let conversion: [SQLValue] = [.real(1), .real(2 * third), .real(third), .real(third)]
        let dropOff: [SQLValue] = [.real(third), .real(0.5), .real(0), .null]
        #expect(steps.map { $0["conversion_rate"] } == conversion)
        #expect(steps.map { $0["drop_off_rate"] } == dropOff)
        #expect(steps.map { $0["step_name"] } == [.text("Landing"), .text("Product"), .text("Cart"), .text("Checkout")])
    }

    @Test func everyStepHasARowEvenWithoutSessions() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([P.v3("s", site: "blog", actions: [P.page(1, "/", at: Self.t)])])
        let steps = try await harness.project(.funnels, funnels: Self.checkout).objects("SELECT * FROM funnel_steps")
        #expect(steps.count == 4)
        #expect(steps.allSatisfy { $0["sessions"] == .integer(0) && $0["conversion_rate"] == .null && $0["drop_off_rate"] == .null })
    }

    @Test func actionsAreOrderedByPageNumberThenPagesBeforeGoals() async throws {
        let funnels = Self.definition(#"{"name":"f","steps":[{"name":"A","page":"/a"},{"name":"G","goal":"g"},{"name":"B","page":"/b"}]}"#)
        let harness = try ProjectionHarness()
        try await harness.append([
            // The goal on page 1 sorts after page 1 and before page 2, whatever the times or arrival order.
            P.v3("s1", actions: [P.goal(1, "g", at: Self.t + 100), P.page(2, "/b", at: Self.t + 1), P.page(1, "/a", at: Self.t + 50)]),
            // A goal whose page has not arrived still sorts by its page number: page 3's goal comes after /b on page 2.
            P.v3("s2", actions: [P.page(1, "/a", at: Self.t), P.page(2, "/b", at: Self.t), P.goal(3, "g", at: Self.t)]),
        ])
        let db = try await harness.project(.funnels, funnels: funnels)
        let reached = try db.objects("SELECT session_id, reached_step FROM funnel_sessions ORDER BY session_id")
        #expect(reached.map { $0["reached_step"] } == [.integer(3), .integer(2)])
    }

    @Test func aWindowCountsFromTheStepOneActionAndTakesTheBestStart() async throws {
        let funnels = Self.definition(#"{"name":"w","window_ms":1000,"steps":[{"name":"A","page":"/a"},{"name":"B","page":"/b"}]}"#)
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v3("late", actions: [P.page(1, "/a", at: Self.t), P.page(2, "/b", at: Self.t + 1001)]),
            P.v3("edge", actions: [P.page(1, "/a", at: Self.t), P.page(2, "/b", at: Self.t + 1000)]),
            // The first /a is too early, the second one starts a window that holds /b.
            P.v3("second", actions: [P.page(1, "/a", at: Self.t), P.page(2, "/a", at: Self.t + 5000), P.page(3, "/b", at: Self.t + 5500)]),
        ])
        let db = try await harness.project(.funnels, funnels: funnels)
        let reached = try db.objects("SELECT session_id, reached_step FROM funnel_sessions ORDER BY session_id")
        #expect(reached.map { $0["session_id"] } == [.text("edge"), .text("late"), .text("second")])
        #expect(reached.map { $0["reached_step"] } == [.integer(2), .integer(1), .integer(2)])
    }

    @Test func strictOrderNeedsConsecutiveActions() async throws {
        let funnels = Self.definition(#"{"name":"s","order":"strict","steps":[{"name":"A","page":"/a"},{"name":"B","page":"/b"},{"name":"C","page":"/c"}]}"#)
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v3("gap", actions: [P.page(1, "/a", at: Self.t), P.page(2, "/x", at: Self.t), P.page(3, "/b", at: Self.t)]),
            P.v3("retry", actions: [P.page(1, "/a", at: Self.t), P.page(2, "/x", at: Self.t), P.page(3, "/a", at: Self.t), P.page(4, "/b", at: Self.t), P.page(5, "/c", at: Self.t)]),
        ])
        let db = try await harness.project(.funnels, funnels: funnels)
        let reached = try db.objects("SELECT session_id, reached_step FROM funnel_sessions ORDER BY session_id")
        #expect(reached.map { $0["reached_step"] } == [.integer(1), .integer(3)])
    }

    @Test func aReplacedPageCanRemoveASessionsRow() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([P.v3("s1", actions: [P.page(1, "/", at: Self.t)]), P.v3("s1", actions: [P.page(1, "/elsewhere", at: Self.t)])])
        let db = try await harness.project(.funnels, funnels: Self.checkout, batchRecords: 1)
        #expect(try db.objects("SELECT * FROM funnel_sessions").isEmpty)
    }

    @Test func invalidDefinitionsSayWhere() throws {
        let cases: [(String, String)] = [
            (#"{"funnels":[{"name":"f","steps":[{"name":"A","page":"/","goal":"g"}]}]}"#, "funnels[0].steps[0]"),
            (#"{"funnels":[{"name":"f","steps":[{"name":"A"}]}]}"#, "funnels[0].steps[0]"),
            (#"{"funnels":[{"name":"f","steps":[]}]}"#, "funnels[0].steps"),
            (#"{"funnels":[{"name":"f","order":"loose","steps":[{"name":"A","page":"/"}]}]}"#, "funnels[0].order"),
            (#"{"funnels":[{"name":"f","window_ms":true,"steps":[{"name":"A","page":"/"}]}]}"#, "funnels[0].window_ms"),
            (#"{"funnels":[{"steps":[{"name":"A","page":"/"}]}]}"#, "funnels[0].name"),
        ]
        for (text, path) in cases {
            #expect {
                _ = try FunnelDefinitions.parse(Array(text.utf8), file: "funnels.json")
            } throws: { error in
                (error as? DefinitionError)?.path == path
            }
        }
    }

    @Test func aDefinitionsFileThatIsNotJSONOrCannotBeReadSaysWhy() throws {
        #expect {
            _ = try FunnelDefinitions.parse(Array(#"{"funnels":["#.utf8), file: "funnels.json")
        } throws: { error in
            "\(error)" == "funnels.json: not valid JSON: unexpected end of input at byte 12"
        }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        #expect(try FunnelDefinitions.load(path: dir.file("absent.json")) == .empty, "the default path may be absent")
        #expect { _ = try FunnelDefinitions.load(path: dir.file("absent.json"), required: true) } throws: { error in
            (error as? DefinitionError)?.message == "no such file"
        }
        #expect { _ = try FunnelDefinitions.load(path: dir.path, required: true) } throws: { error in
            (error as? DefinitionError)?.message.hasPrefix("cannot be read") == true
        }
    }

    @Test func aChangedDefinitionIsRefusedAndNamesTheRebuild() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([P.v3("s1", actions: [P.page(1, "/", at: Self.t)])])
        let path = harness.directory.file("funnels.db")
        try await harness.run(.funnels, path: path, funnels: Self.checkout)
        let changed = Self.checkout.replacingOccurrences(of: "Landing", with: "Home")
        await harness.expectRunFails(.funnels, path: path, funnels: changed, with: .definitionChanged) { error in
            error.message.contains("sessionlog rebuild funnels")
        }
    }

    @Test func globMatching() {
        #expect(Glob.matches("/products/*", "/products/"))
        #expect(Glob.matches("/products/*", "/products/a/b"))
        #expect(!Glob.matches("/products/*", "/products"))
        #expect(Glob.matches("*", ""))
        #expect(Glob.matches("/a*b*c", "/aXbYbZc"))
        #expect(!Glob.matches("/a*b*c", "/aXbYbZ"))
        #expect(Glob.matches("/checkout?", "/checkout?"), "? is literal")
        #expect(!Glob.matches("/checkout?", "/checkoutX"))
        #expect(!Glob.matches("/A", "/a"))
    }
}
