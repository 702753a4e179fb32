import Synchronization

/// Collects the answers of a `/batch` request's lines, which arrive in any order from any
/// thread (mostly the log writer's), and hands over all of them once the last one is in.
/// Thread-safe (`Mutex`).
final class BatchResults: Sendable {
    private let state: Mutex<(lines: [IngressAnswer?], missing: Int)>

    init(count: Int) {
        precondition(count > 0, "a batch has at least one line")
        state = Mutex((Array(repeating: nil, count: count), count))
    }

    /// Records line `index`'s answer; returns every line's answer when it was the last one missing.
    func set(_ index: Int, _ line: IngressAnswer) -> [IngressAnswer?]? {
        state.withLock { state -> [IngressAnswer?]? in
            precondition(state.lines[index] == nil, "line \(index) answered twice")
            state.lines[index] = line
            state.missing -= 1
            return state.missing == 0 ? state.lines : nil
        }
    }

    /// The NDJSON body of a complete set of answers: each line's body with `"status":N` added.
    static func body(_ lines: [IngressAnswer?]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(lines.reduce(0) { $0 + ($1?.body.utf8.count ?? 0) + 16 })
        for line in lines {
            var answer = line!
            answer.body.withUTF8 { body in
                assert(body.last == UInt8(ascii: "}"), "an answer's body is a JSON object")
                out += UnsafeBufferPointer(rebasing: body[..<(body.count - 1)])  // all but the closing brace
                if body.count > 2 { out.append(UInt8(ascii: ",")) }
            }
            out += #""status":\#(answer.status.code)}"#.utf8
            out.append(UInt8(ascii: "\n"))
        }
        return String(decoding: out, as: UTF8.self)
    }
}
