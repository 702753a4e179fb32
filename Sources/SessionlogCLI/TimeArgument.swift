import ArgumentParser
import Foundation
import LogStore

/// A point in time on the command line: milliseconds since the Unix epoch, an RFC 3339
/// date-time (`2025-06-03T10:15:00Z`, `2025-06-03T12:15:00.250+02:00`), a date
/// (`2025-06-03`: its midnight, UTC), or a duration before now (`90s`, `15m`, `2h`, `7d`, as
/// `docker logs --since` takes it).
struct TimeArgument: ExpressibleByArgument {
    var milliseconds: Int64

    /// The formats, for options' help.
    static let formats = "ms since the epoch, RFC 3339: 2025-06-03T10:15:00Z, a date: 2025-06-03 (midnight UTC), or a duration ago: 90s, 15m, 2h, 7d"

    private static let unitMilliseconds: [Character: Int64] = ["s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000]

    init?(argument: String) {
        if let value = Int64(argument) {
            milliseconds = value
            return
        }
        if let unit = argument.last.flatMap({ Self.unitMilliseconds[$0] }), let count = Int64(argument.dropLast()), count >= 0,
            case let (ago, overflow) = count.multipliedReportingOverflow(by: unit), !overflow
        {
            milliseconds = WallClock.nowMs() - ago
            return
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        guard let date = formatter.date(from: argument) ?? plain.date(from: argument) ?? day.date(from: argument) else { return nil }
        milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    static var defaultCompletionKind: CompletionKind { .default }

    /// Milliseconds since the epoch as RFC 3339 text in UTC with milliseconds (what the commands print).
    static func text(ms: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
