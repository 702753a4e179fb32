import Foundation

/// The wall clock in the unit the log and the projections record time in: whole milliseconds since
/// the Unix epoch, rounded down. It can step (NTP, an operator); durations are timed on
/// `ContinuousClock` instead.
public enum WallClock {
    public static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
