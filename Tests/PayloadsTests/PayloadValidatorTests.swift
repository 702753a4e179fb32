import Foundation
import Testing

@testable import Payloads

/// Decoding results and the rules beyond accept/reject.
@Suite struct PayloadValidatorTests {
    let specV3 = #"{"v":3,"session_id":"s-9f2c","user_id":"u-118","site_id":"shop","sent_at":1762000065000,"checkpoint":2,"attributes":{"landing_page":"https://shop.example/?utm_source=google&utm_medium=cpc","referrer":"https://www.google.com/","utm_source":"google","utm_medium":"cpc","utm_campaign":"winter","utm_term":null,"utm_content":null,"ref":null,"source":null,"segment_id":"returning","ab_test_id":"hero","ab_test_variant_id":"b","campaign_id":"c-7","landing_page_id":"lp-3"},"actions":[{"type":"pageview","page_number":3,"path":"/cart","entered_at":1762000050000,"duration_ms":15000,"scroll":40,"final":true},{"type":"goal","page_number":3,"name":"add_to_cart","value":19.99,"at":1762000060000},{"type":"pageview","page_number":4,"path":"/checkout","entered_at":1762000063000,"duration_ms":2000,"scroll":10}],"current_page":{"path":"/checkout"}}"#

    @Test func theSpecExampleDecodesWithItsCheckpoint() throws {
        guard case .v3(let session) = try PayloadValidator.validate(Array(specV3.utf8), route: .v3) else {
            Issue.record("not a V3 payload")
            return
        }
        #expect(session.sessionID == "s-9f2c" && session.siteID == "shop" && session.checkpoint == 2)
        #expect(session.touch.utmSource == "google" && session.touch.utmTerm == nil)
        #expect(session.context.segmentID == "returning" && session.context.landingPageID == "lp-3")
        #expect(session.actions.count == 3)
        #expect(session.actions[0] == .pageview(PageView(pageNumber: 3, path: "/cart", url: nil, title: nil, enteredAtMs: 1_762_000_050_000, durationMs: 15000, scroll: 40, final: true)))
        #expect(session.actions[1] == .goal(Goal(pageNumber: 3, name: "add_to_cart", atMs: 1_762_000_060_000, value: 19.99)))
        // SPEC §1.1: final pageview, goal, then a non-final pageview: k = 2, C = 2 + 2.
        #expect(session.acknowledgedCheckpoint == 4)
    }

    @Test(arguments: [
        ("[]", 0), (#"[{"type":"goal","page_number":1,"name":"g","at":1}]"#, 1),
        (#"[{"type":"pageview","page_number":1,"path":"/","entered_at":1}]"#, 0),
        (#"[{"type":"goal","page_number":1,"name":"g","at":1},{"type":"pageview","page_number":1,"path":"/","entered_at":1,"final":false},{"type":"goal","page_number":1,"name":"g","at":1}]"#, 1),
    ]) func theCheckpointCountsTheLongestFinalPrefix(actions: String, acknowledged: Int64) throws {
        let body = #"{"session_id":"s","user_id":"u","site_id":"x","sent_at":5,"checkpoint":7,"actions":\#(actions)}"#
        guard case .v3(let session) = try PayloadValidator.validate(Array(body.utf8), route: .v3) else { return }
        #expect(session.acknowledgedCheckpoint == 7 + acknowledged)
    }

    @Test func v1TimestampsBecomeUTCMilliseconds() throws {
        for (text, expected) in [
            ("2025-06-03T10:15:00.250Z", 1_748_945_700_250), ("2025-06-03T12:15:00.250+02:00", 1_748_945_700_250),
            ("2025-06-03t10:15:00.2509999z", 1_748_945_700_250), ("1970-01-01T00:00:00Z", 0), ("1969-12-31T23:59:59.5Z", -500),
            ("2000-02-29T00:00:00-00:30", 951_784_200_000),
        ] as [(String, Int64)] {
            #expect(RFC3339.milliseconds(Array(text.utf8)) == expected, "\(text)")
        }
        #expect(RFC3339.milliseconds(Array("2023-02-29T00:00:00Z".utf8)) == nil)
    }

    @Test func aPayloadOverTheLimitIsTooLarge() {
        let body = Array(specV3.dropLast().utf8) + Array(#","pad":""#.utf8) + [UInt8](repeating: 0x61, count: 1 << 20) + Array(#""}"#.utf8)
        #expect(throws: PayloadError(.tooLarge, "payload of \(body.count) bytes exceeds the limit of 1048576")) {
            try PayloadValidator.validate(body, route: .v3)
        }
        #expect(throws: Never.self) { try PayloadValidator.validate(body, route: .v3, limits: PayloadLimits(bodyBytesMax: 2 << 20)) }
    }

    @Test func pathsNameArrayElementsAndOddMemberNames() {
        #expect(PathComponent.render([.key("actions"), .index(3), .key("page_number")]) == "actions[3].page_number")
        #expect(PathComponent.render([.key("a b"), .key("c")]) == #"["a b"].c"#)
    }

    @Test func anErrorInTheLastOfTheMostActionsNamesItsIndex() {
        func pageview(pageNumber: Int) -> String {
            #"{"type":"pageview","page_number":\#(pageNumber),"path":"/","entered_at":1}"#
        }
        let actions =
            Array(repeating: pageview(pageNumber: 1), count: PayloadLimits.actionsMax - 1) + [pageview(pageNumber: 0)]
        let session = #"{"session_id":"s","user_id":"u","site_id":"x","sent_at":5,"actions":[\#(actions.joined(separator: ","))]}"#
        let body = Array(session.utf8)
        let expected = PayloadError(
            .outOfRange, path: "actions[999].page_number", member: "page_number", "0 is outside 1…65535")
        #expect(throws: expected) { try PayloadValidator.validate(body, route: .v3) }
        #expect(throws: expected) { try PayloadValidator.check(body[...], route: .v3) }
    }

    @Test func escapedStringsAreDecodedAndCountedInCodePoints() throws {
        let body = #"{"session_id":"s","user_id":"u","site_id":"x","sent_at":5,"actions":[{"type":"pageview","page_number":1,"path":"/caf\u00e9\n\ud83d\ude00","entered_at":1,"title":"\"quoted\""}]}"#
        guard case .v3(let session) = try PayloadValidator.validate(Array(body.utf8), route: .v3),
            case .pageview(let page) = session.actions[0]
        else { return }
        #expect(page.path == "/café\n😀")
        #expect(page.title == "\"quoted\"")
    }

    /// Texts are equal, and hash alike, exactly when their bytes are, wherever they are stored.
    @Test func textsCompareAndHashByTheirBytes() throws {
        guard case .v3(let session) = try PayloadValidator.validate(Array(specV3.utf8), route: .v3) else {
            Issue.record("not a V3 payload")
            return
        }
        let sessionID = PayloadText("s-9f2c")
        #expect(session.sessionID == sessionID && session.sessionID.hashValue == sessionID.hashValue)
        #expect(session.sessionID.string == "s-9f2c" && "\(session.sessionID)" == "s-9f2c")
        #expect(session.sessionID != "s-9f2" && session.sessionID != "s-9f2d" && session.touch.utmSource != session.touch.utmMedium)
        #expect(Set([session.siteID, "shop", PayloadText("shop")]).count == 1)
        #expect(PayloadText("").firstByte == nil && PayloadText("").string.isEmpty && session.siteID.firstByte == UInt8(ascii: "s"))
    }

    /// Members are found whatever the object's shape: many unknown members, names differing only
    /// past 8 bytes, escaped names (reference parser), any order.
    @Test func membersAreFoundInEveryObjectShape() throws {
        let expected = try PayloadValidator.validate(Array(specV3.utf8), route: .v3)
        let unknown = (0..<40).map { #""utm_source_\#($0)":"x\#($0)""# }.joined(separator: ",")
        let crowded = specV3.replacingOccurrences(of: #""attributes":{"#, with: #""attributes":{\#(unknown),"#)
            .replacingOccurrences(of: #"{"v":3,"#, with: #"{\#(unknown),"v":3,"#)
        #expect(try PayloadValidator.validate(Array(crowded.utf8), route: .v3) == expected)
        // A 30-digit integer (valid: a finite double) makes simdjson decline, so the reference
        // parser resolves the escaped names the reader looks for.
        let escaped = specV3.replacingOccurrences(of: #""session_id""#, with: #""session\u005fid""#)
            .replacingOccurrences(of: #""utm_source""#, with: #""utm_\u0073ource""#)
            .replacingOccurrences(of: #"{"v":3,"#, with: #"{"big":123456789012345678901234567890,"v":3,"#)
        #expect(SimdJSONTape.document(Array(escaped.utf8)[...], depthMax: 32) == nil)
        #expect(try PayloadValidator.validate(Array(escaped.utf8), route: .v3) == expected)
        let reordered = #"{"actions":[],"sent_at":5,"site_id":"x","user_id":"u","session_id_x":"no","session_id":"s","v":3}"#
        guard case .v3(let session) = try PayloadValidator.validate(Array(reordered.utf8), route: .v3) else { return }
        #expect(session.sessionID == "s")
    }
}
