import Testing

@testable import Projections

/// SPEC §4.5, rule by rule.
@Suite struct AttributionRulesTests {
    static let t = P.t0

    static func row(_ db: SQLiteDatabase, _ session: String) throws -> [String: SQLValue] {
        try db.one("SELECT * FROM attribution WHERE session_id = ?", [.text(session)])
    }

    @Test func referrerDomainSelfReferralAndSourceFallbacks() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v3("ref", attributes: ["referrer": "https://WWW.Example.org:8443/a?b", "landing_page": "https://shop.example/"], actions: []),
            P.v3("self", attributes: ["referrer": "https://www.shop.example/x", "landing_page": "https://shop.example/"], actions: []),
            P.v3("ftp", attributes: ["referrer": "ftp://files.example/"], actions: []),
            P.v3("relative", attributes: ["referrer": "/internal"], actions: []),
            P.v3("sourcefield", attributes: ["source": " Partner ", "ref": "ignored", "referrer": "https://x.example/"], actions: []),
            P.v3("reffield", attributes: ["ref": "ProductHunt"], actions: []),
        ])
        let db = try await harness.project(.attribution)
        let ref = try Self.row(db, "ref")
        #expect(ref["last_referrer_domain"] == .text("example.org") && ref["last_source"] == .text("example.org"))
        #expect(ref["last_channel"] == .text("referral"), "no medium and a source")
        let selfReferral = try Self.row(db, "self")
        #expect(selfReferral["last_referrer_domain"] == .null && selfReferral["last_channel"] == .text("direct"))
        #expect(try Self.row(db, "ftp")["last_referrer_domain"] == .null)
        #expect(try Self.row(db, "relative")["last_referrer_domain"] == .null)
        let sourceField = try Self.row(db, "sourcefield")
        #expect(sourceField["last_source"] == .text("partner"), "utm_source, else source (trimmed, lower-cased)")
        #expect(try Self.row(db, "reffield")["last_source"] == .text("producthunt"))
    }

    @Test func clickIdsMakePaidSearch() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v3("gclid", attributes: ["landing_page": "https://shop.example/?gclid=abc"], actions: []),
            P.v3("wbraid", attributes: ["landing_page": "https://shop.example/?wbraid=x&msclkid=y"], actions: []),
            P.v3("msclkid", attributes: ["landing_page": "https://shop.example/?msclkid=y"], actions: []),
            P.v3("empty", attributes: ["landing_page": "https://shop.example/?gclid="], actions: []),
            P.v3("withmedium", attributes: ["landing_page": "https://shop.example/?gclid=1", "utm_medium": "email"], actions: []),
            P.v3("withsource", attributes: ["landing_page": "https://shop.example/?gclid=1", "utm_source": "Facebook"], actions: []),
            P.v3("relative", attributes: ["landing_page": "/?gclid=1"], actions: []),
        ])
        let db = try await harness.project(.attribution)
        let gclid = try Self.row(db, "gclid")
        #expect(gclid["first_source"] == .text("google") && gclid["first_medium"] == .text("cpc"))
        #expect(gclid["first_channel"] == .text("paid_search"))
        #expect(try Self.row(db, "wbraid")["last_source"] == .text("google"), "gclid/gbraid/wbraid before msclkid")
        #expect(try Self.row(db, "msclkid")["last_source"] == .text("bing"))
        #expect(try Self.row(db, "empty")["last_channel"] == .text("direct"), "an empty click id does not count")
        #expect(try Self.row(db, "withmedium")["last_medium"] == .text("email"), "only when utm_medium is absent")
        let withSource = try Self.row(db, "withsource")
        #expect(withSource["last_source"] == .text("facebook") && withSource["last_channel"] == .text("paid_social"))
        #expect(try Self.row(db, "relative")["last_medium"] == .null, "only an absolute landing_page")
    }

    @Test func channelRulesInOrder() async throws {
        let cases: [(source: String?, medium: String?, channel: String)] = [
            (nil, nil, "direct"),
            ("google", "cpc", "paid_search"),
            ("news.google", "ppc", "paid_search"),
            ("facebook", "paid-social", "paid_social"),
            ("anything", "banner", "display"),
            ("google", "cpm", "paid_search"),
            ("partner", "cpm", "display"),
            ("partner", "retargeting", "paid_other"),
            ("m.facebook", nil, "organic_social"),
            ("blog", "social-network", "organic_social"),
            ("duckduckgo", nil, "organic_search"),
            ("x", "organic", "organic_social"),
            ("whatever", "organic", "organic_search"),
            ("newsletter", nil, "email"),
            ("crm", "e-mail", "email"),
            ("partner", "affiliate", "affiliate"),
            ("partner", "referral", "referral"),
            ("example.org", nil, "referral"),
            (nil, "app", "referral"),
            (nil, "print", "unassigned"),
            ("googlemail", nil, "referral"),
        ]
        let harness = try ProjectionHarness()
        try await harness.append(
            cases.enumerated().map { index, item in
                var attributes: [String: Any] = [:]
                if let source = item.source { attributes["utm_source"] = source }
                if let medium = item.medium { attributes["utm_medium"] = medium }
                return P.v3("c\(index)", attributes: attributes, actions: [])
            })
        let db = try await harness.project(.attribution)
        for (index, item) in cases.enumerated() {
            #expect(try Self.row(db, "c\(index)")["last_channel"] == .text(item.channel), "\(item)")
        }
    }

    @Test func firstTouchFollowsRenewalChainsIncludingLateRoots() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v2("child", kind: "renew", old: "parent", current: ["utm_source": "newsletter", "utm_medium": "email"]),
            P.v2("grandchild", kind: "renew", old: "child", current: [:]),
        ])
        let beforeRoot = try await harness.project(.attribution)
        let early = try Self.row(beforeRoot, "grandchild")
        #expect(early["root_session_id"] == .text("child") && early["renewal_count"] == .integer(1), "parent has no records yet")
        #expect(early["first_channel"] == .text("email"))

        try await harness.append([P.v3("parent", attributes: ["utm_source": "google", "utm_medium": "cpc"], actions: [])])
        // The late root changes both descendants, whatever the batch size.
        for batch in [1, 100] {
            let db = try await harness.project(.attribution, batchRecords: batch)
            let grandchild = try Self.row(db, "grandchild")
            #expect(grandchild["root_session_id"] == .text("parent") && grandchild["renewal_count"] == .integer(2))
            #expect(grandchild["first_source"] == .text("google") && grandchild["first_channel"] == .text("paid_search"))
            #expect(grandchild["last_channel"] == .text("direct"))
            #expect(grandchild["last_non_direct_channel"] == .text("email"), "the nearest non-direct session up the chain")
            #expect(try Self.row(db, "child")["first_channel"] == .text("paid_search"))
        }
    }

    @Test func aLiveFollowerRederivesDescendantsWhenTheRootArrives() async throws {
        let harness = try ProjectionHarness()
        let path = harness.directory.file("attribution.db")
        try await harness.append([P.v2("child", kind: "renew", old: "root")])
        try await harness.run(.attribution, path: path)
        try await harness.append([P.v3("root", attributes: ["utm_source": "bing", "utm_medium": "cpc"], actions: [])])
        try await harness.run(.attribution, path: path)
        let child = try Self.row(try SQLiteDatabase(path: path, readOnly: true), "child")
        #expect(child["root_session_id"] == .text("root") && child["first_source"] == .text("bing"))
    }

    @Test func cyclesEndTheWalkBeforeAVisitedSession() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v2("a", kind: "renew", old: "b", current: ["utm_source": "a-src"]),
            P.v2("b", kind: "renew", old: "a", current: ["utm_source": "b-src"]),
            P.v2("loop", kind: "renew", old: "loop-other"),
            P.v2("self", kind: "renew", old: "s-x"),
        ])
        let db = try await harness.project(.attribution)
        let a = try Self.row(db, "a")
        #expect(a["root_session_id"] == .text("b") && a["renewal_count"] == .integer(1) && a["first_source"] == .text("b-src"))
        let b = try Self.row(db, "b")
        #expect(b["root_session_id"] == .text("a") && b["first_source"] == .text("a-src"))
    }

    @Test func originalTouchBeforeOwnTouchAtTheRoot() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v2(
                "s1", original: ["utm_source": "google", "utm_medium": "organic", "landing_page": "https://shop.example/start"],
                current: ["utm_source": "newsletter"]),
            P.v2("s2", original: ["timestamp": 5], current: ["utm_source": "newsletter"]),
        ])
        let db = try await harness.project(.attribution)
        let s1 = try Self.row(db, "s1")
        #expect(s1["first_channel"] == .text("organic_search") && s1["first_landing_page"] == .text("https://shop.example/start"))
        #expect(s1["last_channel"] == .text("email") && s1["root_session_id"] == .text("s1"))
        #expect(try Self.row(db, "s2")["first_source"] == .text("newsletter"), "a touch with only a timestamp does not exist")
    }

    @Test func v1TouchComesFromTheFirstPageviewOnlyWithoutV2OrV3Touch() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v1("v1", "e0", "click", at: "2025-06-03T10:14:00.000Z", url: "https://shop.example/?utm_source=ignored"),
            P.v1("v1", "e1", "pageview", at: "2025-06-03T10:15:00.000Z", url: "https://shop.example/p?utm_source=Face%62ook&utm_medium=paid+social&utm_source=second", referrer: "https://m.facebook.com/"),
            P.v1("v1", "e2", "pageview", at: "2025-06-03T10:15:10.000Z", url: "https://shop.example/q?utm_source=later"),
            P.v1("mixed", "e1", "pageview", at: "2025-06-03T10:15:00.000Z", url: "https://shop.example/?utm_source=v1"),
            P.v3("mixed", attributes: ["utm_campaign": "winter"], actions: []),
        ])
        let db = try await harness.project(.attribution)
        let v1 = try Self.row(db, "v1")
        #expect(v1["last_source"] == .text("facebook"), "form-decoded, first occurrence wins, lower-cased")
        #expect(v1["last_medium"] == .text("paid social") && v1["last_channel"] == .text("paid_social"))
        #expect(v1["first_landing_page"] == .text("https://shop.example/p?utm_source=Face%62ook&utm_medium=paid+social&utm_source=second"))
        #expect(v1["last_referrer_domain"] == .text("m.facebook.com"))
        let mixed = try Self.row(db, "mixed")
        #expect(mixed["last_source"] == .null && mixed["last_campaign"] == .text("winter"), "a V2/V3 touch replaces the V1 touch")
    }

    @Test func channelAggregatesPerSiteAndModel() async throws {
        let harness = try ProjectionHarness()
        try await harness.append([
            P.v3("a", attributes: ["utm_source": "google", "utm_medium": "cpc"], actions: [P.goal(1, "buy", at: Self.t, value: 10)]),
            P.v3("b", attributes: ["utm_source": "google", "utm_medium": "cpc"], actions: []),
            P.v2("c", kind: "renew", old: "a"),
            P.v3("d", site: "blog", actions: []),
        ])
        let db = try await harness.project(.attribution)
        let rows = try db.objects("SELECT * FROM attribution_channels ORDER BY site_id, model, channel")
        let summary = rows.map { "\($0["site_id"]!)/\($0["model"]!)/\($0["channel"]!)=\($0["sessions"]!),\($0["conversions"]!),\($0["goal_value"]!)" }
        #expect(
            summary == [
                "blog/first_touch/direct=1,0,0.0", "blog/last_non_direct/direct=1,0,0.0", "blog/last_touch/direct=1,0,0.0",
                "shop/first_touch/paid_search=3,1,10.0", "shop/last_non_direct/paid_search=3,1,10.0",
                "shop/last_touch/direct=1,0,0.0", "shop/last_touch/paid_search=2,1,10.0",
            ])
    }

    @Test func urlSplittingAndFormDecoding() {
        let parts = URLParts("HTTPS://user@Host.Example:80/a%20b/c?x=1&y=%zz&z&x=2&%C3%A9=%FF#frag?q")
        #expect(parts.scheme == "HTTPS" && parts.path == "/a%20b/c" && parts.normalizedHost == "host.example")
        let query = parts.queryParameters
        #expect(query["x"] == "1" && query["y"] == "%zz" && query["z"] == "" && query["é"] == "\u{FFFD}")
        #expect(URLParts("//no-scheme/path").normalizedHost == nil)
        #expect(URLParts("https://[::1]:8080/").normalizedHost == "[::1]")
        #expect(URLParts("mailto:someone").path == "someone")
        #expect(URLParts("https://shop.example").pagePath == "/")
    }
}
