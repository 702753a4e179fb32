import LogFormat
import Synchronization

/// Collects the answers of a `/batch` request's lines, which arrive in any order from any
/// thread (mostly the log writer's, all of a group's appended lines at once), and hands over all
/// of them once the last one is in. Thread-safe (`Mutex`).
final class BatchResults: Sendable {
    /// One line's answer: appended (kept as its offset until the body is written), or any other.
    enum Line: Sendable {
        case accepted(offset: LogOffset, checkpoint: Int64?)
        case answered(IngressAnswer)
    }

    private let state: Mutex<(lines: [Line?], missing: Int)>

    init(count: Int) {
        precondition(count > 0, "a batch has at least one line")
        state = Mutex((Array(repeating: nil, count: count), count))
    }

    /// Records the answers of the lines given by index; returns every line's answer when these
    /// were the last ones missing.
    func set(_ settled: [(Int, Line)]) -> [Line]? {
        state.withLock { state -> [Line]? in
            for (index, line) in settled {
                precondition(state.lines[index] == nil, "line \(index) answered twice")
                state.lines[index] = line
            }
            state.missing -= settled.count
            return state.missing == 0 ? state.lines.map { $0! } : nil
        }
    }

    /// The NDJSON body of a complete set of answers: each line's answer object with `"status":N`
    /// added.
    static func body(_ lines: [Line]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(lines.count * 48)
        for line in lines {
            switch line {
            case .accepted(let offset, let checkpoint):
                IngressAnswer.acceptedMembers(offset: offset, checkpoint: checkpoint, into: &out)
                out += #","status":200}"#.utf8
            case .answered(var answer):
                answer.body.withUTF8 { body in
                    assert(body.last == UInt8(ascii: "}"), "an answer's body is a JSON object")
                    out += UnsafeBufferPointer(rebasing: body[..<(body.count - 1)])  // all but the closing brace
                    if body.count > 2 { out.append(UInt8(ascii: ",")) }
                }
                out += #""status":\#(answer.status.code)}"#.utf8
            }
            out.append(UInt8(ascii: "\n"))
        }
        return String(decoding: out, as: UTF8.self)
    }
}
