/// Deterministic payload lines for tests: V1 events, V2 contexts and V3 session payloads of
/// realistic shape and varying size, from a seed (SplitMix64).
public struct PayloadFactory: Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func nextRandom() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next(_ bound: Int) -> Int { Int(nextRandom() % UInt64(bound)) }

    /// One NDJSON payload line (without newline) of version 1, 2 or 3.
    public mutating func line(index: Int) -> String {
        let session = "s-\(next(5000))"
        let t = 1_762_000_000_000 + index * 1000
        switch next(10) {
        case 0:
            return #"{"v":1,"event_id":"e-\#(index)","event_type":"pageview","timestamp":"2025-06-03T10:15:00.250Z","session_id":"\#(session)","user_id":"u-\#(next(900))","project_id":"shop","page_url":"https://shop.example/products/\#(next(99))?utm_source=facebook","session_event_sequence":\#(1 + next(9))}"#
        case 1:
            return #"{"v":2,"kind":"start","session_id":"\#(session)","user_id":"u-\#(next(900))","site_id":"shop","started_at":\#(t),"segment_id":"returning"}"#
        default:
            let actions = (0..<(1 + next(6))).map { i in
                #"{"type":"pageview","page_number":\#(i + 1),"path":"/p/\#(next(300))","entered_at":\#(t + i * 5000),"duration_ms":\#(next(60000)),"scroll":\#(next(101)),"final":\#(next(2) == 0)}"#
            }
            return #"{"v":3,"session_id":"\#(session)","user_id":"u-\#(next(900))","site_id":"shop","sent_at":\#(t),"checkpoint":0,"attributes":{"utm_source":"google","utm_medium":"cpc","landing_page":"https://shop.example/?utm_source=google"},"actions":[\#(actions.joined(separator: ","))]}"#
        }
    }

    /// A minimal valid V3 payload carrying `tag` in an unknown member (kept, ignored by validation).
    public static func minimalV3(_ tag: String) -> String {
        #"{"v":3,"session_id":"s-1","user_id":"u-1","site_id":"shop","sent_at":1762000000000,"actions":[],"tag":"\#(tag)"}"#
    }

    public mutating func lines(_ count: Int, startingAt start: Int = 0) -> [String] {
        (start..<start + count).map { line(index: $0) }
    }
}
