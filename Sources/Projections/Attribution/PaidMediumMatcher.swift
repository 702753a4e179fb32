/// Matches mediums against channels.json's `paid_medium_pattern`, remembering each medium's answer
/// (mediums are few; Swift's `Regex` is slow per match).
///
/// Not thread-safe: one per projector.
final class PaidMediumMatcher {
    private let regex: Regex<AnyRegexOutput>
    private var known: [String: Bool] = [:]

    init(pattern: String) {
        do { regex = try Regex(pattern) } catch { preconditionFailure("ChannelRules validated the pattern: \(error)") }
    }

    func isPaid(_ medium: String) -> Bool {
        if let answer = known[medium] { return answer }
        let answer = (try? regex.wholeMatch(in: medium)) != nil
        if known.count < 100_000 { known[medium] = answer }
        return answer
    }
}
