import SessionlogTestKit
import Testing

@testable import Payloads

/// simdjson's fast path only ever accepts, and where it accepts it agrees with the reference
/// parser value for value; everything else falls back to the reference parser's verdict.
@Suite struct SimdJSONFastPathTests {
    /// nil when the fast path declines; otherwise whether it agrees with the reference parser.
    static func agreement(_ bytes: [UInt8], depthMax: Int = JSONParser.depthMaxDefault) -> Bool? {
        guard let fast = SimdJSONTape.document(bytes[...], depthMax: depthMax) else { return nil }
        guard let reference = try? JSONParser.parseReference(bytes, depthMax: depthMax) else { return false }
        return fast == reference
    }

    @Test func validPayloadsTakeTheFastPathAndAgree() {
        for line in PayloadPropertyTests.validLines(seed: 21, count: 500) {
            #expect(Self.agreement(line) == true, "\(String(decoding: line, as: UTF8.self))")
        }
    }

    @Test func theCorpusNeverDisagrees() {
        for testCase in PayloadConformanceTests.cases {
            #expect(Self.agreement(testCase.bytes) != false, "\(testCase.name)")
        }
    }

    @Test(arguments: [
        #"{"a":1,"a":2}"#, #"{"a":{"x":1,"y":{"z":[],"z":0}}}"#, #"{"a\u0062":1,"ab":2}"#,
        "\u{FEFF}{}", #"{"a":1e400}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":"\ud800"}"#,
        #"{"a":123456789012345678901234567890}"#, "{\"a\":\"x\u{01}y\"}", #"{"a":1} x"#, "",
    ])
    func theFastPathDeclinesWhatItMustNot(text: String) {
        #expect(Self.agreement(Array(text.utf8)) == nil)
    }

    @Test(arguments: [
        #"{"a":-0}"#, #"{"a":-0.0}"#, #"{"a":1e-400}"#, #"{"a":18446744073709551615}"#,
        #"{"a":-9223372036854775808}"#, #"{"a":9007199254740993}"#, #"{"a":0.1e1,"b":1E2,"c":-1.5e-3}"#,
        #"{"a":"\u0000\ud83d\ude00\n\"\\\/"}"#, #"{"a\u0062":1,"abc":2}"#, #" {"a":[true,false,null,{},[]]} "#,
        #"{"x":"ok"}"#,
    ])
    func edgeValuesAgree(text: String) {
        #expect(Self.agreement(Array(text.utf8)) == true)
    }

    /// Repeated names are found whether a schema reads them (resolved members) or not, among a
    /// few or among many (the sorted comparison); distinct names pass.
    @Test func repeatedMemberNamesAreInvalidWhereverTheyAre() throws {
        let many = (0..<40).map { #""x\#($0)":\#($0)"# }.joined(separator: ",")
        let repeated = [
            #"{"session_id":"a","v":3,"session_id":"b"}"#, #"{\#(many),"x7":0}"#, #"{\#(many),"session_id":"a","session_id":"a"}"#,
            #"{"actions":[{"type":"goal","type":"goal"}]}"#, #"{"a":{\#(many),"x39":1}}"#,
        ]
        for text in repeated {
            #expect(Self.agreement(Array(text.utf8)) == nil, "\(text)")
            let error = try #require(throws: PayloadError.self) { try JSONParser.parse(Array(text.utf8)[...]) }
            #expect(error.code == .invalidJSON && error.message.contains("duplicate member name"), "\(error)")
        }
        let distinct = #"{\#(many),"session_id":"a","v":3}"#
        #expect(Self.agreement(Array(distinct.utf8)) == true)
    }

    @Test func nestingAtTheLimitIsAcceptedAndBeyondItDeclined() {
        let depth = JSONParser.depthMaxDefault
        let atLimit = String(repeating: "[", count: depth - 1) + "{}" + String(repeating: "]", count: depth - 1)
        let beyond = "[" + atLimit + "]"
        #expect(Self.agreement(Array(atLimit.utf8)) == true)
        #expect(Self.agreement(Array(beyond.utf8)) == nil)
        #expect(throws: PayloadError.self) { try JSONParser.parse(Array(beyond.utf8)[...]) }
    }

    @Test(arguments: [1, 2] as [UInt64]) func mutationsNeverMakeThePathsDisagree(seed: UInt64) {
        var random = PayloadFactory(seed: seed * 104_729)
        for original in PayloadPropertyTests.validLines(seed: seed + 40, count: 300) {
            var bytes = original
            for _ in 0..<(1 + random.next(3)) {
                bytes[random.next(bytes.count)] = [UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: ","), UInt8(ascii: "}"), 0xC3, 0x80, UInt8(ascii: "0"), UInt8(ascii: "e")][random.next(8)]
            }
            #expect(Self.agreement(bytes) != false, "\(String(decoding: bytes, as: UTF8.self))")
        }
    }
}
