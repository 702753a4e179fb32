import Testing

@testable import Projections

/// SPEC §4.1–4.2, rule by rule, through a real log and a real projector.
@Suite struct PagesRulesTests {
    static let t = P.t0

    @Test func aPageIsReplacedWholeByTheLaterWriteAndVersionIsItsOffset() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v3("s1", actions: [P.page(1, "/a", at: Self.t, duration: 1000, scroll: 10, title: "A")]),
            P.v3("s1", actions: [P.page(1, "/a", at: Self.t, duration: 5000, scroll: 70)]),
        ])
        let db = try await harness.project(.pages)
        let row = try db.one("SELECT * FROM pages")
        #expect(row["duration_ms"] == .integer(5000))
        #expect(row["scroll"] == .integer(70))
        #expect(row["title"] == .null, "the row is replaced whole: the later write has no title")
        #expect(row["version"] == .integer(1))
    }

    @Test func withinOnePayloadTheLaterActionWins() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v3("s1", actions: [P.page(2, "/first", at: Self.t), P.page(2, "/second", at: Self.t + 5)])
        ])
        let db = try await harness.project(.pages)
        #expect(try db.one("SELECT path FROM pages")["path"] == .text("/second"))
    }

    @Test func goalsAreNotPages() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([P.v3("s1", actions: [P.goal(1, "signup", at: Self.t)])])
        let db = try await harness.project(.pages)
        #expect(try db.objects("SELECT * FROM pages").isEmpty)
    }

    @Test func v1PageviewsNumberPagesAndDurationsFollowLogOrder() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v1("s1", "e1", "pageview", at: "2025-06-03T10:15:00.000Z", url: "https://shop.example/products/42?x=1#frag"),
            P.v1("s1", "e2", "scroll", at: "2025-06-03T10:15:05.000Z", extra: ["scroll_percentage": 30]),
            P.v1("s1", "e3", "scroll", at: "2025-06-03T10:15:07.000Z", extra: ["scroll_percentage": 55.5]),
            P.v1("s1", "e4", "pageview", at: "2025-06-03T10:15:20.000Z", url: "https://shop.example"),
            P.v1("s1", "e5", "click", at: "2025-06-03T10:15:26.000Z"),
            P.v1("s1", "e6", "click", at: "2025-06-03T10:15:23.000Z"),
        ])
        let db = try await harness.project(.pages)
        let pages = try db.objects("SELECT * FROM pages ORDER BY page_number")
        #expect(pages.count == 2)
        #expect(pages[0]["path"] == .text("/products/42"), "path: the URL's path, no query or fragment")
        #expect(pages[0]["url"] == .text("https://shop.example/products/42?x=1#frag"))
        #expect(pages[0]["entered_at"] == .integer(1_748_945_700_000))
        #expect(pages[0]["duration_ms"] == .integer(20_000), "next pageview's entered_at − its entered_at")
        #expect(pages[0]["scroll"] == .real(55.5), "max scroll_percentage of its scroll events")
        #expect(pages[0]["version"] == .integer(0), "the offset of its opening pageview")
        #expect(pages[1]["path"] == .text("/"), "an empty path is /")
        #expect(pages[1]["duration_ms"] == .integer(6_000), "last page: latest later timestamp − entered_at")
        #expect(pages[1]["scroll"] == .null)
    }

    @Test func aV1LastPageWithoutLaterEventsHasNullDurationAndNeverBelowZero() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v1("s1", "e1", "pageview", at: "2025-06-03T10:15:00.000Z"),
            P.v1("s2", "e1", "pageview", at: "2025-06-03T10:15:00.000Z"),
            P.v1("s2", "e2", "click", at: "2025-06-03T10:14:00.000Z"),
        ])
        let db = try await harness.project(.pages)
        #expect(try db.one("SELECT duration_ms FROM pages WHERE session_id = 's1'")["duration_ms"] == .null)
        #expect(try db.one("SELECT duration_ms FROM pages WHERE session_id = 's2'")["duration_ms"] == .integer(0))
    }

    @Test func duplicateV1EventsAreIgnoredFirstWins() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v1("s1", "e1", "pageview", at: "2025-06-03T10:15:00.000Z", url: "https://shop.example/first"),
            P.v1("s1", "e1", "pageview", at: "2025-06-03T10:16:00.000Z", url: "https://shop.example/again"),
        ])
        let db = try await harness.project(.pages)
        let row = try db.one("SELECT * FROM pages")
        #expect(row["path"] == .text("/first"))
        #expect(row["duration_ms"] == .null)
    }

    @Test func v1AndV3ShareThePageNumberSpaceAndTheLaterWriteWins() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v1("s1", "e1", "pageview", at: "2025-06-03T10:15:00.000Z", url: "https://shop.example/v1-page"),
            P.v3("s1", actions: [P.page(1, "/v3-page", at: Self.t), P.page(2, "/v3-two", at: Self.t)]),
            P.v1("s1", "e2", "pageview", at: "2025-06-03T10:15:30.000Z", url: "https://shop.example/v1-two"),
        ])
        let db = try await harness.project(.pages)
        let pages = try db.objects("SELECT path, version FROM pages ORDER BY page_number")
        #expect(pages.map { $0["path"] } == [.text("/v3-page"), .text("/v1-two")])
        #expect(pages.map { $0["version"] } == [.integer(1), .integer(2)])
    }

    @Test func stringsAreTrimmedAndBlankOptionalsAreAbsent() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([P.v3("s1", actions: [P.page(1, "/a  ", at: Self.t, url: " \t", title: "  Title ")])])
        let db = try await harness.project(.pages)
        let row = try db.one("SELECT * FROM pages")
        #expect(row["path"] == .text("/a"))
        #expect(row["url"] == .null)
        #expect(row["title"] == .text("Title"))
    }

    @Test func versionOneOfPagesHasNoScrollOrVersionColumns() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([P.v3("s1", actions: [P.page(1, "/a", at: Self.t, duration: 10, scroll: 5)])])
        let db = try await harness.project(.pages, version: 1)
        let row = try db.one("SELECT * FROM pages")
        #expect(row["scroll"] == nil && row["version"] == nil)
        #expect(row["duration_ms"] == .integer(10))
    }
}
