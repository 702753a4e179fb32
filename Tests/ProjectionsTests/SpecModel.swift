import Foundation
import SessionlogTestKit

@testable import Projections

/// A deliberately simple recomputation of SPEC §4 for the model-based test: it keeps every
/// record and derives each session's rows from the whole list at the end, with Foundation's URL
/// and regular-expression parsers, instead of folding incrementally as the projector does.
struct SpecModel {
    struct Record {
        var offset: Int64
        var object: [String: Any]
        var version: Int { object["v"] as! Int }
    }

    private(set) var bySession: [String: [Record]] = [:]
    private let funnels: [[String: Any]]
    private let channels: [String: Any]

    init(lines: [String], funnels: String) throws {
        for (offset, line) in lines.enumerated() {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            bySession[object["session_id"] as! String, default: []].append(Record(offset: Int64(offset), object: object))
        }
        self.funnels = (try JSONSerialization.jsonObject(with: Data(funnels.utf8)) as! [String: Any])["funnels"] as! [[String: Any]]
        let channelsURL = URL(fileURLWithPath: RepositoryFile.path("Schemas/channels.json"))
        channels = try JSONSerialization.jsonObject(with: Data(contentsOf: channelsURL)) as! [String: Any]
    }

    // MARK: Cleaning and small helpers

    static func clean(_ value: Any?) -> String? {
        guard let text = value as? String else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    static func ms(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }

    static func v1Time(_ text: String) -> Int64 {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return Int64((formatter.date(from: text)!.timeIntervalSince1970 * 1000).rounded())
    }

    /// Non-duplicate V1 events of a session, in log order.
    func v1Events(_ records: [Record]) -> [Record] {
        var seen: Set<String> = []
        return records.filter { $0.version == 1 && seen.insert($0.object["event_id"] as! String).inserted }
    }

    // MARK: Pages

    struct Page {
        var number: Int
        var path: String
        var url: String?
        var title: String?
        var entered: Int64
        var duration: Int64?
        var scroll: Double?
        var version: Int64
    }

    func pages(_ records: [Record]) -> [Page] {
        var byNumber: [Int: Page] = [:]
        for record in records where record.version == 3 {
            for action in record.object["actions"] as! [[String: Any]] where action["type"] as? String == "pageview" {
                let number = action["page_number"] as! Int
                byNumber[number] = Page(
                    number: number, path: Self.clean(action["path"])!, url: Self.clean(action["url"]), title: Self.clean(action["title"]),
                    entered: Self.ms(action["entered_at"])!, duration: Self.ms(action["duration_ms"]) ?? 0,
                    scroll: (action["scroll"] as? NSNumber)?.doubleValue, version: record.offset)
            }
        }
        let events = v1Events(records)
        let openers = events.indices.filter { events[$0].object["event_type"] as? String == "pageview" }
        for (n, index) in openers.enumerated() {
            let event = events[index]
            let entered = Self.v1Time(event.object["timestamp"] as! String)
            let nextIndex = n + 1 < openers.count ? openers[n + 1] : events.count
            let later = events[(index + 1)..<nextIndex]
            var duration: Int64?
            if n + 1 < openers.count {
                duration = Self.v1Time(events[nextIndex].object["timestamp"] as! String) - entered
            } else if let last = later.map({ Self.v1Time($0.object["timestamp"] as! String) }).max() {
                duration = last - entered
            }
            let scrolls = later.filter { $0.object["event_type"] as? String == "scroll" }.compactMap {
                ($0.object["scroll_percentage"] as? NSNumber)?.doubleValue
            }
            let url = Self.clean(event.object["page_url"])
            let path = url.flatMap { URLComponents(string: $0)?.percentEncodedPath }.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
            let page = Page(
                number: n + 1, path: path, url: url, title: nil, entered: entered, duration: duration.map { max(0, $0) },
                scroll: scrolls.max(), version: event.offset)
            if let existing = byNumber[n + 1], existing.version > page.version { continue }
            byNumber[n + 1] = page
        }
        return byNumber.values.sorted { $0.number < $1.number }
    }

    // MARK: Goals

    struct Goal {
        var isV3: Bool
        var order: Int64
        var page: Int
        var name: String?
        var at: Int64
        var value: Double
    }

    func goals(_ records: [Record]) -> [Goal] {
        var v3: [Int64: Goal] = [:]
        var v1: [Goal] = []
        for record in records where record.version == 3 {
            let checkpoint = Int64(record.object["checkpoint"] as? Int ?? 0)
            for (i, action) in (record.object["actions"] as! [[String: Any]]).enumerated() where action["type"] as? String == "goal" {
                let seq = checkpoint + Int64(i)
                v3[seq] = Goal(
                    isV3: true, order: seq, page: action["page_number"] as! Int, name: Self.clean(action["name"]),
                    at: Self.ms(action["at"])!, value: (action["value"] as? NSNumber)?.doubleValue ?? 0)
            }
        }
        var pagesSoFar = 0
        for event in v1Events(records) {
            switch event.object["event_type"] as? String {
            case "pageview": pagesSoFar += 1
            case "conversion":
                var value = 0.0
                if let number = event.object["event_value"] as? NSNumber {
                    value = number.doubleValue
                } else if let text = event.object["event_value"] as? String,
                    text.range(of: #"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"#, options: .regularExpression) != nil
                {
                    value = Double(text)!
                }
                v1.append(
                    Goal(isV3: false, order: event.offset, page: pagesSoFar, name: "conversion", at: Self.v1Time(event.object["timestamp"] as! String), value: value))
            default: break
            }
        }
        return v1 + v3.keys.sorted().map { v3[$0]! }
    }

    // MARK: Sessions

    func firstValue(_ records: [Record], _ key: String) -> String? {
        let accepted = Set(v1Events(records).map(\.offset))
        for record in records where record.version != 1 || accepted.contains(record.offset) {
            let object = record.version == 3 ? record.object["attributes"] as? [String: Any] : record.object
            if record.version == 1 && key == "segment_id" { continue }
            if let value = Self.clean(object?[key]) { return value }
        }
        return nil
    }

    func sessionRow(_ id: String) -> [String: SQLValue] {
        let records = bySession[id]!
        let first = records[0].object
        let pages = pages(records)
        let goals = goals(records)
        let v1Times = v1Events(records).map { Self.v1Time($0.object["timestamp"] as! String) }
        let v2Starts = records.filter { $0.version == 2 }.map { Self.ms($0.object["started_at"])! }
        var starts = v2Starts + pages.map(\.entered) + goals.map(\.at) + v1Times
        let ends = pages.map { $0.entered + ($0.duration ?? 0) } + goals.map(\.at) + v1Times
        if starts.isEmpty { starts = records.filter { $0.version == 3 }.map { Self.ms($0.object["sent_at"])! } }
        let started = starts.min()!
        let ended = ends.max() ?? started
        let goalValue = goals.reduce(0.0) { $0 + $1.value }
        let journey = "[" + pages.prefix(100).map { "\"\($0.path)\"" }.joined(separator: ",") + "]"
        let renewedFrom = records.first { $0.version == 2 && $0.object["kind"] as? String == "renew" }.flatMap { Self.clean($0.object["old_session_id"]) }
        func text(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
        return [
            "session_id": .text(id), "site_id": .text((first["site_id"] ?? first["project_id"]) as! String),
            "user_id": .text(first["user_id"] as! String), "started_at": .integer(started), "ended_at": .integer(ended),
            "duration_ms": .integer(ended - started), "page_count": .integer(Int64(pages.count)), "entry_path": text(pages.first?.path),
            "exit_path": text(pages.last?.path), "bounced": pages.isEmpty ? .null : .integer(pages.count == 1 && goals.isEmpty ? 1 : 0),
            "engaged": .integer(ended - started >= 10_000 || pages.count >= 2 || !goals.isEmpty ? 1 : 0),
            "converted": .integer(goals.isEmpty ? 0 : 1), "goal_count": .integer(Int64(goals.count)), "goal_value": .real(goalValue),
            "journey": .text(journey), "segment_id": text(firstValue(records, "segment_id")),
            "ab_test_id": text(firstValue(records, "ab_test_id")), "ab_test_variant_id": text(firstValue(records, "ab_test_variant_id")),
            "campaign_id": text(firstValue(records, "campaign_id")), "landing_page_id": text(firstValue(records, "landing_page_id")),
            "renewed_from": text(renewedFrom),
        ]
    }

    // MARK: Attribution

    static let touchKeys = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "ref", "source", "referrer", "landing_page"]

    func ownTouch(_ records: [Record]) -> [String: String] {
        var touch: [String: String] = [:]
        for record in records {
            let source: [String: Any]? =
                record.version == 3
                ? record.object["attributes"] as? [String: Any]
                : record.version == 2 ? (record.object["attribution"] as? [String: Any])?["current"] as? [String: Any] : nil
            for key in Self.touchKeys where touch[key] == nil { touch[key] = Self.clean(source?[key]) }
        }
        if !touch.isEmpty { return touch }
        guard let pageview = v1Events(records).first(where: { $0.object["event_type"] as? String == "pageview" }) else { return [:] }
        let url = Self.clean(pageview.object["page_url"])
        var query: [String: String] = [:]
        for item in URLComponents(string: url ?? "")?.queryItems ?? [] where query[item.name] == nil { query[item.name] = item.value ?? "" }
        for key in ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "ref", "source"] { touch[key] = Self.clean(query[key]) }
        touch["referrer"] = Self.clean(pageview.object["referrer_url"])
        touch["landing_page"] = url
        return touch
    }

    func originalTouch(_ records: [Record]) -> [String: String] {
        var touch: [String: String] = [:]
        for record in records where record.version == 2 {
            let source = (record.object["attribution"] as? [String: Any])?["original"] as? [String: Any]
            for key in Self.touchKeys where touch[key] == nil { touch[key] = Self.clean(source?[key]) }
        }
        return touch
    }

    static func host(_ url: String?, httpOnly: Bool) -> String? {
        guard let url, let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            !httpOnly || scheme == "http" || scheme == "https", var host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        if host.hasPrefix("www.") { host.removeFirst(4) }
        return host
    }

    struct Resolved {
        var source, medium, campaign, term, content, referrerDomain, landing: String?
        var channel: String
    }

    func resolve(_ touch: [String: String]) -> Resolved {
        var domain = Self.host(touch["referrer"], httpOnly: true)
        if domain != nil, domain == Self.host(touch["landing_page"], httpOnly: false) { domain = nil }
        var source = touch["utm_source"] ?? touch["source"] ?? touch["ref"] ?? domain
        var medium = touch["utm_medium"]
        if medium == nil, let landing = touch["landing_page"], let components = URLComponents(string: landing), components.scheme != nil {
            func has(_ name: String) -> Bool { (components.queryItems?.first { $0.name == name }?.value).flatMap(Self.clean) != nil }
            if has("gclid") || has("gbraid") || has("wbraid") {
                medium = "cpc"
                source = source ?? "google"
            } else if has("msclkid") {
                medium = "cpc"
                source = source ?? "bing"
            }
        }
        source = source?.lowercased()
        medium = medium?.lowercased()
        return Resolved(
            source: source, medium: medium, campaign: touch["utm_campaign"], term: touch["utm_term"], content: touch["utm_content"],
            referrerDomain: domain, landing: touch["landing_page"], channel: channel(source, medium))
    }

    func channel(_ source: String?, _ medium: String?) -> String {
        func list(_ key: String) -> [String] { channels[key] as! [String] }
        func sourceIn(_ key: String) -> Bool { source.map { s in list(key).contains { ".\(s).".contains(".\($0).") } } ?? false }
        func mediumIn(_ key: String) -> Bool { medium.map { list(key).contains($0) } ?? false }
        let pattern = channels["paid_medium_pattern"] as! String
        let paid = medium.map { $0.range(of: pattern, options: .regularExpression) != nil } ?? false
        if source == nil && medium == nil { return "direct" }
        if paid && sourceIn("search_sources") { return "paid_search" }
        if paid && sourceIn("social_sources") { return "paid_social" }
        if mediumIn("display_mediums") { return "display" }
        if paid { return "paid_other" }
        if sourceIn("social_sources") || mediumIn("social_mediums") { return "organic_social" }
        if sourceIn("search_sources") || mediumIn("organic_search_mediums") { return "organic_search" }
        if sourceIn("email_tokens") || mediumIn("email_tokens") { return "email" }
        if mediumIn("affiliate_mediums") { return "affiliate" }
        if mediumIn("referral_mediums") || (medium == nil && source != nil) { return "referral" }
        return "unassigned"
    }

    func attributionRow(_ id: String) -> [String: SQLValue] {
        var chain = [id]
        while let parent = sessionRow(chain.last!)["renewed_from"], case .text(let parentID) = parent, bySession[parentID] != nil,
            !chain.contains(parentID)
        {
            chain.append(parentID)
        }
        let root = bySession[chain.last!]!
        let original = originalTouch(root)
        let first = resolve(original.isEmpty ? ownTouch(root) : original)
        let last = resolve(ownTouch(bySession[id]!))
        let nonDirect = chain.lazy.map { self.resolve(self.ownTouch(self.bySession[$0]!)).channel }.first { $0 != "direct" } ?? "direct"
        let session = sessionRow(id)
        func text(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
        return [
            "session_id": .text(id), "site_id": session["site_id"]!, "user_id": session["user_id"]!, "root_session_id": .text(chain.last!),
            "renewal_count": .integer(Int64(chain.count - 1)), "first_source": text(first.source), "first_medium": text(first.medium),
            "first_campaign": text(first.campaign), "first_term": text(first.term), "first_content": text(first.content),
            "first_referrer_domain": text(first.referrerDomain), "first_landing_page": text(first.landing),
            "first_channel": .text(first.channel), "last_source": text(last.source), "last_medium": text(last.medium),
            "last_campaign": text(last.campaign), "last_term": text(last.term), "last_content": text(last.content),
            "last_referrer_domain": text(last.referrerDomain), "last_channel": .text(last.channel),
            "last_non_direct_channel": .text(nonDirect), "converted": session["converted"]!, "goal_count": session["goal_count"]!,
            "goal_value": session["goal_value"]!,
        ]
    }

    // MARK: Funnels

    func reachedSteps(_ id: String) -> [String: Int] {
        let records = bySession[id]!
        let site = sessionRow(id)["site_id"]!
        typealias Action = FunnelAction
        var actions: [Action] = pages(records).map { ($0.number, 0, 0, $0.path, nil, $0.entered) }
        actions += goals(records).map { ($0.page, $0.isV3 ? 2 : 1, $0.order, nil, $0.name, $0.at) }
        actions.sort { ($0.page, $0.kind, $0.order) < ($1.page, $1.kind, $1.order) }
        var result: [String: Int] = [:]
        for funnel in funnels {
            if let funnelSite = funnel["site_id"] as? String, site != .text(funnelSite) { continue }
            let steps = funnel["steps"] as! [[String: String]]
            let window = (funnel["window_ms"] as? NSNumber)?.int64Value
            let strict = funnel["order"] as? String == "strict"
            func matches(_ step: [String: String], _ action: Action) -> Bool {
                if let page = step["page"], let path = action.path {
                    let regex = "^" + NSRegularExpression.escapedPattern(for: page).replacingOccurrences(of: "\\*", with: ".*") + "$"
                    return path.range(of: regex, options: .regularExpression) != nil
                }
                if let goal = step["goal"], let name = action.goal { return goal == name }
                return false
            }
            let reached = stride(from: steps.count, through: 1, by: -1).first { k in
                reachedAtLeast(k, steps: steps, actions: actions, window: window, strict: strict, matches: matches)
            } ?? 0
            if reached > 0 { result[funnel["name"] as! String] = reached }
        }
        return result
    }

    /// True when steps 1…k match some a1 < … < ak under the window and order rules.
    typealias FunnelAction = (page: Int, kind: Int, order: Int64, path: String?, goal: String?, time: Int64)

    private func reachedAtLeast(
        _ k: Int, steps: [[String: String]], actions: [FunnelAction], window: Int64?, strict: Bool,
        matches: ([String: String], FunnelAction) -> Bool
    ) -> Bool {
        func extend(_ step: Int, after: Int, deadline: Int64?) -> Bool {
            if step == k { return true }
            let range = strict ? (after + 1)..<min(after + 2, actions.count) : (after + 1)..<max(after + 1, actions.count)
            return range.contains { i in
                (deadline.map { actions[i].time <= $0 } ?? true) && matches(steps[step], actions[i]) && extend(step + 1, after: i, deadline: deadline)
            }
        }
        return actions.indices.contains { start in
            matches(steps[0], actions[start]) && extend(1, after: start, deadline: window.map { actions[start].time + $0 })
        }
    }
}
