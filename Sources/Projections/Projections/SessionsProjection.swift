import Payloads

/// SPEC §4.3: one row per session with at least one accepted record.
struct SessionsProjection: Projection {
    let kind = ProjectionKind.sessions
    let definitions: [String: String] = [:]
    static let columns = [
        "session_id", "site_id", "user_id", "started_at", "ended_at", "duration_ms", "page_count", "entry_path", "exit_path",
        "bounced", "engaged", "converted", "goal_count", "goal_value", "journey", "segment_id", "ab_test_id",
        "ab_test_variant_id", "campaign_id", "landing_page_id", "renewed_from",
    ]
    static let journeyPagesMax = 100

    func write(_ sessions: [SessionState], tables: TableSet, lookup: SessionLookup) throws {
        let table = try tables.table("sessions", columns: Self.columns)
        for session in sessions { try table.replace(Self.row(session)) }
    }

    static func row(_ session: SessionState) -> [SQLValue] {
        let summary = SessionSummary(session)
        let context = session.context.map(SQLValue.optional)
        return [
            .text(session.sessionID), .text(session.siteID), .text(session.userID), .integer(summary.startedAtMs),
            .integer(summary.endedAtMs), .integer(summary.durationMs), .integer(Int64(summary.pages.count)),
            .optional(summary.pages.first?.path), .optional(summary.pages.last?.path), summary.bounced.map(SQLValue.bool) ?? .null,
            .bool(summary.engaged), .bool(summary.converted), .integer(Int64(summary.goalCount)), .real(summary.goalValue),
            .text(journey(summary.pages)), context[ContextField.segmentID.rawValue], context[ContextField.abTestID.rawValue],
            context[ContextField.abTestVariantID.rawValue], context[ContextField.campaignID.rawValue],
            context[ContextField.landingPageID.rawValue], .optional(session.renewedFrom),
        ]
    }

    /// Compact JSON array of the paths of the first 100 pages by page number.
    static func journey(_ pages: [PageRow]) -> String {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, page) in pages.prefix(journeyPagesMax).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendString(page.path, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }
}
