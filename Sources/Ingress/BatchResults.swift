import Synchronization

/// Collects the answers of a `/batch` request's lines, which arrive in any order from any
/// thread (mostly the log writer's), and hands over all of them once the last one is in; the
/// caller joins them on its event loop, off the writer thread. Thread-safe (`Mutex`).
final class BatchResults: Sendable {
    private let state: Mutex<(lines: [String?], missing: Int)>

    init(count: Int) {
        precondition(count > 0, "a batch has at least one line")
        state = Mutex((Array(repeating: nil, count: count), count))
    }

    /// Records line `index`'s answer; returns every line's answer when it was the last one missing.
    func set(_ index: Int, _ line: String) -> [String?]? {
        state.withLock { state -> [String?]? in
            precondition(state.lines[index] == nil, "line \(index) answered twice")
            state.lines[index] = line
            state.missing -= 1
            return state.missing == 0 ? state.lines : nil
        }
    }

    /// The NDJSON body of a complete set of answers.
    static func body(_ lines: [String?]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(lines.reduce(0) { $0 + ($1?.utf8.count ?? 0) + 1 })
        for line in lines {
            out += line!.utf8
            out.append(UInt8(ascii: "\n"))
        }
        return String(decoding: out, as: UTF8.self)
    }
}
