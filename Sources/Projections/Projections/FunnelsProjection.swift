/// SPEC §4.4: each session's `reached_step` in every funnel of `data/funnels.json`;
/// `funnel_steps` is a view over these rows and `funnel_definition`.
struct FunnelsProjection: Projection {
    let kind = ProjectionKind.funnels
    let funnels: FunnelDefinitions
    var definitions: [String: String] { ["funnels.json": funnels.digest] }
    static let columns = ["funnel", "session_id", "site_id", "reached_step"]

    func initialize(_ tables: TableSet) throws {
        let steps = try tables.table("funnel_definition", columns: ["funnel", "site_id", "step_index", "step_name"])
        for funnel in funnels.funnels {
            for (index, step) in funnel.steps.enumerated() {
                try steps.replace([.text(funnel.name), .optional(funnel.siteID), .integer(Int64(index + 1)), .text(step.name)])
            }
        }
    }

    func write(_ sessions: [SessionState], tables: TableSet, lookup: SessionLookup) throws {
        let table = try tables.table("funnel_sessions", columns: Self.columns)
        let remove = try tables.database.statement("DELETE FROM funnel_sessions WHERE funnel = ? AND session_id = ?")
        for session in sessions {
            let actions = FunnelMatcher.orderedActions(SessionSummary(session))
            for funnel in funnels.funnels {
                let inSite = funnel.siteID.map { $0 == session.siteID } ?? true
                let reached = inSite ? FunnelMatcher.reachedStep(funnel, actions: actions) : 0
                if reached >= 1 {
                    try table.replace([.text(funnel.name), .text(session.sessionID), .text(session.siteID), .integer(Int64(reached))])
                } else {
                    // A replaced page can lower a session's progress below step 1.
                    try remove.run([.text(funnel.name), .text(session.sessionID)])
                }
            }
        }
    }
}
