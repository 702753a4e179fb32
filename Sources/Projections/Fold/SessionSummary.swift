/// What the projections read of a folded session (SPEC §4.2–4.3): its effective pages, goals in
/// a fixed order, and the time and engagement aggregates. Computed from a `SessionState`.
public struct SessionSummary: Sendable {
    /// One row per page number (the later write wins between V1 and V3), by page number.
    public let pages: [PageRow]
    /// Distinct goals: V1 conversions by offset, then V3 goals by seq.
    public let goals: [GoalRow]
    public let startedAtMs: Int64
    public let endedAtMs: Int64

    public init(_ state: SessionState) {
        var byNumber = state.pagesV3
        for (index, page) in state.pagesV1.enumerated() {
            let number = index + 1
            if let written = byNumber[number], written.version > page.version { continue }
            byNumber[number] = page.row(number: number)
        }
        pages = byNumber.values.sorted { $0.pageNumber < $1.pageNumber }
        goals = state.goals.values.sorted(by: SessionSummary.goalOrder)

        var started: Int64? = state.startedAtV2Min
        var ended: Int64?
        func include(start: Int64, end: Int64) {
            started = min(started ?? start, start)
            ended = max(ended ?? end, end)
        }
        for page in pages { include(start: page.enteredAtMs, end: page.enteredAtMs + (page.durationMs ?? 0)) }
        for goal in goals { include(start: goal.atMs, end: goal.atMs) }
        if let first = state.timeV1Min, let last = state.timeV1Max {
            include(start: first, end: first)
            include(start: last, end: last)
        }
        let start = started ?? state.sentAtV3Min ?? 0
        startedAtMs = start
        endedAtMs = ended ?? start
    }

    /// V1 goals before V3 goals; within a kind, by goal order.
    static func goalOrder(_ a: GoalRow, _ b: GoalRow) -> Bool {
        switch (a.token, b.token) {
        case (.v1, .v3): true
        case (.v3, .v1): false
        default: a.order < b.order
        }
    }

    public var durationMs: Int64 { endedAtMs - startedAtMs }
    public var goalCount: Int { goals.count }
    /// Summed in `goals` order, so the result does not depend on batching.
    public var goalValue: Double { goals.reduce(0) { $0 + $1.value } }
    public var converted: Bool { !goals.isEmpty }
    /// NULL (nil) without pages.
    public var bounced: Bool? { pages.isEmpty ? nil : pages.count == 1 && goals.isEmpty }
    /// GA4's engaged session.
    public var engaged: Bool { durationMs >= 10_000 || pages.count >= 2 || converted }
}
