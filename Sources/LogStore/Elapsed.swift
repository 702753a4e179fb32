/// Elapsed time as progress lines, rates and sync statistics report it: seconds as a `Double`,
/// timed on `ContinuousClock`, so a step of the wall clock does not move it.
extension ContinuousClock.Instant {
    /// Seconds from this instant to now.
    public var secondsElapsed: Double { duration(to: .now) / .seconds(1) }

    /// `count` per second since this instant; the first millisecond counts as a whole one, so a
    /// rate read right after the start stays finite.
    public func ratePerSecond(_ count: Int) -> Double { Double(count) / max(secondsElapsed, 0.001) }
}
