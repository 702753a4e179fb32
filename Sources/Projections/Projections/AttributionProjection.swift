import LogFormat

/// SPEC §4.5: first touch through renewal chains, last touch, last non-direct, per session;
/// `attribution_channels` is a view over these rows. A session's change re-derives every
/// session renewed from it, transitively (a late root changes its descendants).
struct AttributionProjection: Projection {
    let kind = ProjectionKind.attribution
    let rules: ChannelRules
    private let paid: PaidMediumMatcher
    var definitions: [String: String] { ["channels.json": Hex.sha256(rules.definition)] }
    static let columns = [
        "session_id", "site_id", "user_id", "root_session_id", "renewal_count", "first_source", "first_medium",
        "first_campaign", "first_term", "first_content", "first_referrer_domain", "first_landing_page", "first_channel",
        "last_source", "last_medium", "last_campaign", "last_term", "last_content", "last_referrer_domain", "last_channel",
        "last_non_direct_channel", "converted", "goal_count", "goal_value",
    ]

    init(rules: ChannelRules) {
        self.rules = rules
        paid = PaidMediumMatcher(pattern: rules.paidMediumPattern)
    }

    func write(_ sessions: [SessionState], tables: TableSet, lookup: SessionLookup) throws {
        var affected = Set(sessions.map(\.sessionID))
        var pending = Array(affected)
        while let id = pending.popLast() {
            for child in try lookup.renewals(of: id) where affected.insert(child).inserted { pending.append(child) }
        }
        let table = try tables.table("attribution", columns: Self.columns)
        for id in affected.sorted() {
            guard let session = try lookup.state(of: id) else { continue }  // named by a renewal, no records yet
            try table.replace(try row(session, lookup: lookup))
        }
    }

    func row(_ session: SessionState, lookup: SessionLookup) throws -> [SQLValue] {
        // The renewal walk: a step to a session without records, or to one already visited, is not taken.
        var chain = [session]
        var visited: Set<String> = [session.sessionID]
        while let parentID = chain.last!.renewedFrom, !visited.contains(parentID), let parent = try lookup.state(of: parentID) {
            chain.append(parent)
            visited.insert(parentID)
        }
        let root = chain.last!
        let first = AttributedTouch(root.originalTouch.exists ? root.originalTouch : root.ownTouch, rules: rules, paid: paid)
        let last = AttributedTouch(session.ownTouch, rules: rules, paid: paid)
        var lastNonDirect = last.channel
        for ancestor in chain.dropFirst() where lastNonDirect == "direct" {
            lastNonDirect = AttributedTouch(ancestor.ownTouch, rules: rules, paid: paid).channel
        }
        let summary = SessionSummary(session)
        return [
            .text(session.sessionID), .text(session.siteID), .text(session.userID), .text(root.sessionID),
            .integer(Int64(chain.count - 1)), .optional(first.source), .optional(first.medium), .optional(first.campaign),
            .optional(first.term), .optional(first.content), .optional(first.referrerDomain), .optional(first.landingPage),
            .text(first.channel), .optional(last.source), .optional(last.medium), .optional(last.campaign), .optional(last.term),
            .optional(last.content), .optional(last.referrerDomain), .text(last.channel), .text(lastNonDirect),
            .bool(summary.converted), .integer(Int64(summary.goalCount)), .real(summary.goalValue),
        ]
    }
}
