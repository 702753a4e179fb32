import Foundation
import SessionlogTestKit
import Testing

@testable import Payloads

/// The shared corpus (Tests/Fixtures/payloads/cases.jsonl, made by Tools/make_payload_corpus.py):
/// every case must get exactly its expected verdict, code and path. Tools/check_schemas.py checks the
/// same corpus against Schemas/*.schema.json, so the schemas and this validator agree.
@Suite struct PayloadConformanceTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var route: PayloadVersion?
        var bytes: [UInt8]
        var expectedCode: String?
        var expectedPath: String?
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: RepositoryFile.path("Tests/Fixtures/payloads/cases.jsonl"))
        let text = try! String(contentsOf: url, encoding: .utf8)
        return text.split(separator: "\n").map { line in
            let object = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let bytes: [UInt8] =
                if let text = object["text"] as? String { Array(text.utf8) } else { Array(Data(base64Encoded: object["base64"] as! String)!) }
            let expect = object["expect"] as? [String: Any]
            return Case(
                name: object["name"] as! String, route: (object["route"] as? Int).flatMap { PayloadVersion(rawValue: UInt8($0)) },
                bytes: bytes, expectedCode: expect?["code"] as? String, expectedPath: expect?["path"] as? String)
        }
    }()

    @Test func theCorpusCoversEveryErrorCodeAndVersion() {
        #expect(Self.cases.count >= 150)
        let codes = Set(Self.cases.compactMap(\.expectedCode))
        let reachable = Set(PayloadError.Code.allCases.map(\.rawValue)).subtracting(["too_large", "idempotency_conflict"])
        #expect(reachable.subtracting(codes).isEmpty, "codes without a case: \(reachable.subtracting(codes))")
        #expect(Set(Self.cases.compactMap(\.route)) == Set(PayloadVersion.allCases))
    }

    @Test(arguments: cases) func everyCaseGetsItsVerdict(_ example: Case) {
        do {
            let payload = try PayloadValidator.validate(example.bytes, route: example.route)
            #expect(example.expectedCode == nil, "accepted, but expected \(example.expectedCode ?? "") at \(example.expectedPath ?? "")")
            if let route = example.route { #expect(payload.version == route) }
        } catch {
            #expect(example.expectedCode == error.code.rawValue, "\(error)")
            #expect(example.expectedPath == error.path, "\(error)")
        }
    }

    @Test(arguments: cases) func checkingGivesDecodingsVerdictAndErrors(_ example: Case) {
        #expect(Self.outcome { () throws(PayloadError) in try PayloadValidator.check(example.bytes[...], route: example.route) }
            == Self.outcome { () throws(PayloadError) in try PayloadValidator.validate(example.bytes, route: example.route).verdict })
        #expect(Self.outcome { () throws(PayloadError) in try PayloadValidator.checkBatchLine(example.bytes[...]) }
            == Self.outcome { () throws(PayloadError) in
                let (payload, key) = try PayloadValidator.validateBatchLine(example.bytes)
                return (verdict: payload.verdict, idempotencyKey: key)
            })
    }

    /// A verdict (and key) or an error, as text to compare.
    static func outcome<T>(_ body: () throws(PayloadError) -> T) -> String {
        do throws(PayloadError) { return "\(try body())" } catch { return "\(error.code) at \(error.path): \(error.message)" }
    }
}
