import SessionlogTestKit
import Testing

@testable import Payloads

/// Mutations of valid payloads: the validator never crashes, always answers a known code with a
/// message, and answers the right code for mutations whose verdict is certain.
@Suite struct PayloadPropertyTests {
    static func validLines(seed: UInt64, count: Int) -> [[UInt8]] {
        var factory = PayloadFactory(seed: seed)
        return factory.lines(count).map { Array($0.utf8) }
    }

    /// Validates under every route; returns the verdicts (a version or an error code). Checking
    /// (`PayloadValidator.check`) must give the same verdict, or the same error, as decoding.
    static func verdicts(_ bytes: [UInt8]) -> [String] {
        let routes: [PayloadVersion?] = [nil, .v1, .v2, .v3]
        return routes.map { route -> String in
            #expect(
                PayloadConformanceTests.outcome { () throws(PayloadError) in try PayloadValidator.check(bytes[...], route: route) }
                    == PayloadConformanceTests.outcome { () throws(PayloadError) in try PayloadValidator.validate(bytes, route: route).verdict })
            do throws(PayloadError) {
                return "v\(try PayloadValidator.validate(bytes, route: route).version.rawValue)"
            } catch {
                #expect(!error.message.isEmpty)
                #expect(PayloadError.Code.allCases.contains(error.code))
                return error.code.rawValue
            }
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64]) func randomMutationsAlwaysGetAVerdict(seed: UInt64) {
        var random = PayloadFactory(seed: seed * 7919)
        for original in Self.validLines(seed: seed, count: 300) {
            #expect(Self.verdicts(original)[0].hasPrefix("v"), "the unmutated payload is valid")
            var bytes = original
            switch random.next(6) {
            case 0:  // flip bytes
                for _ in 0..<(1 + random.next(4)) { bytes[random.next(bytes.count)] ^= UInt8(1 << random.next(8)) }
            case 1:  // delete a range
                let start = random.next(bytes.count)
                bytes.removeSubrange(start..<min(bytes.count, start + 1 + random.next(20)))
            case 2:  // duplicate a range
                let start = random.next(bytes.count)
                bytes.insert(contentsOf: bytes[start..<min(bytes.count, start + 1 + random.next(30))], at: random.next(bytes.count))
            case 3:  // swap a value's type
                let text = String(decoding: bytes, as: UTF8.self)
                let swaps = [(":\"", ":[\""), (":1", ":\"1\""), (":true", ":null"), (":[", ":{\"a\":["), (",", ",,")]
                let (from, to) = swaps[random.next(swaps.count)]
                if let range = text.range(of: from) { bytes = Array(text.replacingCharacters(in: range, with: to).utf8) }
            case 4:  // insert random bytes
                bytes.insert(contentsOf: (0..<(1 + random.next(8))).map { _ in UInt8(truncatingIfNeeded: random.nextRandom()) }, at: random.next(bytes.count))
            default:  // truncate
                bytes.removeLast(1 + random.next(bytes.count - 1))
            }
            let first = Self.verdicts(bytes)
            #expect(first == Self.verdicts(bytes), "verdicts are deterministic")
        }
    }

    @Test func everyTruncationOfAPayloadIsInvalidJSON() {
        for original in Self.validLines(seed: 4, count: 20) {
            for length in stride(from: 0, to: original.count, by: max(1, original.count / 60)) {
                #expect(Self.verdicts(Array(original[0..<length])).allSatisfy { $0 == "invalid_json" }, "cut at \(length)")
            }
        }
    }

    @Test func certainMutationsGetTheirCode() {
        for original in Self.validLines(seed: 5, count: 50) {
            let open = Array(original.dropLast())
            // A huge number anywhere, even in an unknown member.
            #expect(Self.verdicts(open + Array(#","extra":{"n":[1e400]}}"#.utf8)).allSatisfy { $0 == "out_of_range" })
            // 40 levels of nesting.
            let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
            #expect(Self.verdicts(open + Array(#","extra":\#(deep)}"#.utf8)).allSatisfy { $0 == "too_deep" })
            // An invalid UTF-8 byte inside a string.
            #expect(Self.verdicts(open + Array(#","extra":"a"#.utf8) + [0xFF] + Array(#""}"#.utf8)).allSatisfy { $0 == "invalid_utf8" })
            // A duplicated member.
            #expect(Self.verdicts(open + Array(#","v":3}"#.utf8)).allSatisfy { $0 == "invalid_json" })
            // Not an object at the top.
            #expect(Self.verdicts(Array("[".utf8) + original + Array("]".utf8)).allSatisfy { $0 == "wrong_type" })
        }
    }

    @Test func aThousandAndOneActionsAreTooMany() {
        let action = #"{"type":"goal","page_number":1,"name":"g","at":5}"#
        for (count, expected) in [(1000, "v3"), (1001, "too_many_actions")] {
            let body = #"{"v":3,"session_id":"s","user_id":"u","site_id":"x","sent_at":5,"actions":["#
                + Array(repeating: action, count: count).joined(separator: ",") + "]}"
            #expect(Self.verdicts(Array(body.utf8))[0] == expected)
        }
    }
}
