import Foundation
import LogFormat
import SessionlogTestKit
import Testing

@testable import LogStore

/// Logs written by earlier builds must stay readable: Tests/Fixtures/golden-v1 is a format-1 log
/// (the worked example of docs/log-format.md), committed as bytes.
@Suite struct GoldenFormatTests {
    static let fixture = RepositoryFile.path("Tests/Fixtures/golden-v1")

    @Test func formatVersion1IsStillReadAndVerified() throws {
        let records = try LogFixture.readAll(Self.fixture)
        #expect(records.map(\.offset) == [LogOffset(0), LogOffset(1)])
        #expect(records.map(\.version) == [3, 1])
        #expect(records.allSatisfy { $0.receivedAtMs == 1_795_320_774_932 && $0.idempotencyKey == nil })
        #expect(
            String(decoding: records[0].payload, as: UTF8.self)
                == #"{"v":3,"session_id":"s-1","user_id":"u-1","site_id":"shop","sent_at":1762000000000,"actions":[]}"#)
        #expect(String(decoding: records[1].payload, as: UTF8.self) == #"{"v":1,"event_id":"e-1"}"#)
        let report = try LogVerifier.verify(directory: Self.fixture)
        #expect(report.head.hex == "1a82016f13bb6f57b8cb0f0368474bca49a80211c6aeed37ff449b9ca614731a")
        #expect(report.lastOffset == LogOffset(1))
    }
}
