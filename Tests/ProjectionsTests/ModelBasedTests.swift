import Foundation
import Testing

@testable import Projections

/// Random traffic (all three versions, retries, re-sent pageviews, renewals) → the projector's
/// tables equal `SpecModel`, a separate and deliberately simple recomputation of SPEC §4.
@Suite struct ModelBasedTests {
    static func compare(
        _ db: SQLiteDatabase, table: String, key: String, expected: [[String: SQLValue]], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let actual = try db.objects("SELECT * FROM \(table) ORDER BY \(key)")
        #expect(actual.count == expected.count, "\(table): row count", sourceLocation: sourceLocation)
        let expectedByKey = Dictionary(uniqueKeysWithValues: expected.map { row in (key.split(separator: ",").map { "\(row[$0.trimmingCharacters(in: .whitespaces)]!)" }.joined(separator: "|"), row) })
        var mismatches = 0
        for row in actual {
            let rowKey = key.split(separator: ",").map { "\(row[$0.trimmingCharacters(in: .whitespaces)]!)" }.joined(separator: "|")
            guard let model = expectedByKey[rowKey] else {
                Issue.record("\(table): unexpected row \(rowKey)", sourceLocation: sourceLocation)
                continue
            }
            for (column, value) in model where row[column] != value && mismatches < 10 {
                mismatches += 1
                Issue.record("\(table) \(rowKey).\(column): projector \(row[column].map(String.init(describing:)) ?? "absent"), model \(value)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func projectorsAgreeWithTheModel(seed: UInt64) async throws {
        var traffic = TrafficGenerator(seed: seed)
        let lines = traffic.records(500)
        let model = try SpecModel(lines: lines, funnels: TrafficGenerator.funnels)
        let harness = try ProjectionHarness()
        try await harness.append(lines, chunk: 9)
        let sessions = model.bySession.keys.sorted()

        let pages = try await harness.project(.pages, batchRecords: 50)
        let modelPages = sessions.flatMap { id -> [[String: SQLValue]] in
            let site = model.sessionRow(id)["site_id"]!
            return model.pages(model.bySession[id]!).map { page in
                [
                    "site_id": site, "session_id": .text(id), "page_number": .integer(Int64(page.number)), "path": .text(page.path),
                    "url": page.url.map { .text($0) } ?? .null, "title": page.title.map { .text($0) } ?? .null,
                    "entered_at": .integer(page.entered), "duration_ms": page.duration.map { .integer($0) } ?? .null,
                    "scroll": SQLValue.number(page.scroll), "version": .integer(page.version),
                ]
            }
        }
        try Self.compare(pages, table: "pages", key: "session_id, page_number", expected: modelPages)

        let sessionsDB = try await harness.project(.sessions, batchRecords: 50)
        try Self.compare(sessionsDB, table: "sessions", key: "session_id", expected: sessions.map(model.sessionRow))

        let attribution = try await harness.project(.attribution, batchRecords: 50)
        try Self.compare(attribution, table: "attribution", key: "session_id", expected: sessions.map(model.attributionRow))

        let funnels = try await harness.project(.funnels, funnels: TrafficGenerator.funnels, batchRecords: 50)
        let modelFunnels = sessions.flatMap { id in
            model.reachedSteps(id).map { funnel, reached -> [String: SQLValue] in
                ["funnel": .text(funnel), "session_id": .text(id), "site_id": model.sessionRow(id)["site_id"]!, "reached_step": .integer(Int64(reached))]
            }
        }
        try Self.compare(funnels, table: "funnel_sessions", key: "funnel, session_id", expected: modelFunnels)
        #expect(modelFunnels.count > 5, "the traffic reaches funnels")
    }
}
