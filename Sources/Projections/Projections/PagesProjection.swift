/// SPEC §4.2: one row per `(session_id, page_number)`, replaced whole by the later write.
struct PagesProjection: Projection {
    let kind = ProjectionKind.pages
    let definitions: [String: String] = [:]
    static let columns = [
        "site_id", "session_id", "page_number", "path", "url", "title", "entered_at", "duration_ms", "scroll", "version",
    ]

    func write(_ sessions: [SessionState], tables: TableSet, lookup: SessionLookup) throws {
        let pages = try tables.table("pages", columns: Self.columns)
        for session in sessions {
            // Pages are never removed, only replaced, so upserting the session's pages is enough.
            for page in SessionSummary(session).pages {
                try pages.replace([
                    .text(session.siteID), .text(session.sessionID), .integer(Int64(page.pageNumber)), .text(page.path),
                    .optional(page.url), .optional(page.title), .integer(page.enteredAtMs), .optional(page.durationMs),
                    .number(page.scroll), .integer(page.version),
                ])
            }
        }
    }
}
