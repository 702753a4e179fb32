import ArgumentParser
import Foundation

/// A point in time on the command line: milliseconds since the Unix epoch, an RFC 3339
/// date-time (`2025-06-03T10:15:00Z`, `2025-06-03T12:15:00.250+02:00`), or a date
/// (`2025-06-03`: its midnight, UTC).
struct TimeArgument: ExpressibleByArgument {
    var milliseconds: Int64

    init?(argument: String) {
        if let value = Int64(argument) {
            milliseconds = value
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
