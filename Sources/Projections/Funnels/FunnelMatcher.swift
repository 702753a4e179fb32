/// Computes a session's `reached_step` in one funnel (SPEC §4.4).
public enum FunnelMatcher {
    /// One element of a session's ordered action list.
    public struct Action: Equatable, Sendable {
        public enum Kind: Equatable, Sendable {
            case page(path: String)
            case goal(name: String?)
        }

        public var kind: Kind
        public var timeMs: Int64
    }

    /// The session's actions sorted by (page_number, pages before goals, V1 goals before V3
    /// goals, goal order); a goal whose page has not arrived still sorts by its page number.
    public static func orderedActions(_ summary: SessionSummary) -> [Action] {
        struct Keyed {
            var page: Int, isGoal: Bool, isV3: Bool, order: Int64
            var action: Action
        }
        var keyed = summary.pages.map {
            Keyed(page: $0.pageNumber, isGoal: false, isV3: false, order: 0, action: Action(kind: .page(path: $0.path), timeMs: $0.enteredAtMs))
        }
        for goal in summary.goals {
            let isV3 = if case .v3 = goal.token { true } else { false }
            keyed.append(
                Keyed(page: goal.pageNumber, isGoal: true, isV3: isV3, order: goal.order, action: Action(kind: .goal(name: goal.name), timeMs: goal.atMs)))
        }
        keyed.sort { a, b in
            if a.page != b.page { return a.page < b.page }
            if a.isGoal != b.isGoal { return !a.isGoal }
            if a.isV3 != b.isV3 { return !a.isV3 }
            return a.order < b.order
        }
        return keyed.map(\.action)
    }

    /// The greatest k such that steps 1…k match actions a1 < … < ak (one per step), within the
    /// window from a1's time and, for `strict`, consecutive; 0 when step 1 matches nothing.
    public static func reachedStep(_ funnel: FunnelDefinition, actions: [Action]) -> Int {
        var best = 0
        for start in actions.indices where matches(funnel.steps[0], actions[start]) {
            let deadline = funnel.windowMs.map { actions[start].timeMs + $0 }
            var reached = 1
            var index = start + 1
            while reached < funnel.steps.count, index < actions.count {
                let action = actions[index]
                if let deadline, action.timeMs > deadline {
                    // Later actions may still be in the window (the list is not sorted by time),
                    // but a strict funnel needs this very action.
                    if funnel.order == .strict { break }
                } else if matches(funnel.steps[reached], action) {
                    reached += 1
                } else if funnel.order == .strict {
                    break
                }
                index += 1
            }
            best = max(best, reached)
            if best == funnel.steps.count { break }
            // Without a window or strict order, the earliest start is always the best one.
            if funnel.windowMs == nil && funnel.order == .ordered { break }
        }
        return best
    }

    static func matches(_ step: FunnelDefinition.Step, _ action: Action) -> Bool {
        switch (step.matcher, action.kind) {
        case (.page(let glob), .page(let path)): Glob.matches(glob, path)
        case (.goal(let name), .goal(let goalName)): goalName == name
        default: false
        }
    }
}

/// SPEC §4.4's path globs: `*` matches any run of characters (`/` included); everything else is
/// literal; the whole path must match; case-sensitive. Compared by Unicode scalars.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.unicodeScalars)
        let t = Array(text.unicodeScalars)
        var pi = 0, ti = 0
        var star = -1, resume = 0
        while ti < t.count {
            if pi < p.count, p[pi] != "*", p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi
                resume = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                resume += 1
                ti = resume
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
