import Synchronization

/// Collects the answers of a `/batch` request's lines, which arrive in any order from any
/// thread, and hands over the whole NDJSON body once the last one is in. Thread-safe (`Mutex`).
final class BatchResults: Sendable {
    private let state: Mutex<(lines: [String?], missing: Int)>

    init(count: Int) {
        precondition(count > 0, "a batch has at least one line")
        state = Mutex((Array(repeating: nil, count: count), count))
    }

    /// Records line `index`'s answer; returns the NDJSON body when it was the last one missing.
    func set(_ index: Int, _ line: String) -> String? {
        state.withLock { state -> String? in
            precondition(state.lines[index] == nil, "line \(index) answered twice")
            state.lines[index] = line
            state.missing -= 1
            return state.missing == 0 ? state.lines.map { $0! + "\n" }.joined() : nil
        }
    }
}
