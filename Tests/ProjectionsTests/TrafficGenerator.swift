import Foundation
import SessionlogTestKit

/// Seeded, realistic mixed traffic for model and determinism tests: V3 sessions sent as
/// cumulative payloads with the checkpoint logic (re-sent pageviews with growing durations,
/// lost acknowledgements, exact retries), V2 starts and renewals (late roots, unknown and cyclic
/// parents), V1 events (duplicates, conversions, scrolls), blanks and click ids.
struct TrafficGenerator {
    /// The test kit's seeded SplitMix64.
    private var random: PayloadFactory
    private var time: Int64 = 1_762_000_000_000
    private var sent: [String] = []
    private var clients: [String: Client] = [:]
    private var v1Pageviews: [String: Int] = [:]

    /// A V3 producer's memory of one session: actions not yet acknowledged, from `checkpoint`.
    private struct Client {
        var checkpoint = 0
        var pending: [[String: Any]] = []
        var nextPage = 1
    }

    static let funnels = #"""
        {"funnels":[
          {"name":"checkout","site_id":"shop","steps":[{"name":"Landing","page":"/"},{"name":"Product","page":"/products/*"},{"name":"Cart","goal":"add_to_cart"},{"name":"Checkout","page":"/checkout*"}]},
          {"name":"quick","window_ms":20000,"steps":[{"name":"Pricing","page":"/pricing"},{"name":"Signup","goal":"signup"}]},
          {"name":"strict","order":"strict","steps":[{"name":"Home","page":"/"},{"name":"Any product","page":"/products/*"}]}
        ]}
        """#

    init(seed: UInt64) { random = PayloadFactory(seed: seed) }

    private mutating func int(_ bound: Int) -> Int { random.next(bound) }
    private mutating func pick<T>(_ values: [T]) -> T { values[int(values.count)] }
    private mutating func chance(_ percent: Int) -> Bool { int(100) < percent }

    private static let paths = ["/", "/products/1", "/products/2/reviews", "/pricing", "/cart", "/checkout", "/checkout/pay", "/blog/x", "/padded  "]
    private static let sources: [String?] = ["google", "Facebook", " newsletter ", "", "  ", "bing", "partner.example", nil, nil, nil]
    private static let mediums: [String?] = ["cpc", "email", "organic", "social", "referral", "paid", "cpm", "affiliate", " ", nil, nil, nil]
    private static let referrers: [String?] = ["https://www.google.com/", "https://m.facebook.com/x", "https://shop.example/", "ftp://x.example/", nil, nil]
    private static let landings: [String?] = [
        "https://shop.example/?gclid=1", "https://shop.example/?msclkid=2", "https://shop.example/land?utm_source=q", nil, nil,
    ]
    private static let contexts: [String?] = ["returning", "new", " ", "", nil, nil, nil]

    mutating func records(_ count: Int) -> [String] {
        var lines: [String] = []
        while lines.count < count {
            time += Int64(200 + int(3000))
            let line: String
            switch int(100) {
            case 0..<5 where !sent.isEmpty: line = pick(sent)  // an exact retry
            case 0..<55: line = v3()
            case 55..<70: line = v2()
            default: line = v1()
            }
            sent.append(line)
            lines.append(line)
        }
        return lines
    }

    private mutating func session() -> String { "s\(int(24))" }

    private mutating func touch() -> [String: Any] {
        var touch: [String: Any] = [:]
        if let source = pick(Self.sources) { touch["utm_source"] = source }
        if let medium = pick(Self.mediums) { touch["utm_medium"] = medium }
        if chance(30) { touch["utm_campaign"] = pick(["winter", " ", "c-\(int(3))"]) }
        if chance(20) { touch["ref"] = pick(["producthunt", ""]) }
        if let referrer = pick(Self.referrers) { touch["referrer"] = referrer }
        if let landing = pick(Self.landings) { touch["landing_page"] = landing }
        return touch
    }

    private mutating func context(into object: inout [String: Any]) {
        for key in ["segment_id", "ab_test_id", "campaign_id"] {
            if let value = pick(Self.contexts) { object[key] = value }
        }
    }

    private mutating func v3() -> String {
        let id = session()
        var client = clients[id] ?? Client()
        for index in client.pending.indices where client.pending[index]["type"] as? String == "pageview" {
            client.pending[index]["duration_ms"] = (client.pending[index]["duration_ms"] as! Int) + int(8000)
            client.pending[index]["scroll"] = min(100, (client.pending[index]["scroll"] as! Int) + int(30))
            if chance(50) { client.pending[index]["final"] = true }
        }
        if chance(70) {
            // Some sessions reuse a page number a V1 event opened, sharing the page-number space.
            let number = chance(10) ? max(1, v1Pageviews[id] ?? 1) : client.nextPage
            client.nextPage = max(client.nextPage, number + 1)
            client.pending.append([
                "type": "pageview", "page_number": number, "path": pick(Self.paths), "entered_at": time, "duration_ms": 0,
                "scroll": 0, "final": false, "title": pick(["Home", " ", "Product"]),
            ])
        }
        if chance(25) {
            client.pending.append([
                "type": "goal", "page_number": max(1, client.nextPage - 1 + int(2)), "name": pick(["add_to_cart", "signup", "purchase"]),
                "at": time + Int64(int(500)), "value": Double(int(40)) * 0.25,
            ])
        }
        var object: [String: Any] = [
            "v": 3, "session_id": id, "user_id": "u-\(id)", "site_id": chance(85) ? "shop" : "blog", "sent_at": time,
            "checkpoint": client.checkpoint, "actions": client.pending,
        ]
        if chance(60) {
            var attributes = touch()
            context(into: &attributes)
            object["attributes"] = attributes
        }
        let acknowledged = client.pending.prefix { ($0["type"] as? String) == "goal" || ($0["final"] as? Bool) == true }.count
        if chance(85) {  // otherwise the acknowledgement is lost and the client re-sends everything
            client.pending.removeFirst(acknowledged)
            client.checkpoint += acknowledged
        }
        clients[id] = client
        return Self.json(object)
    }

    private mutating func v2() -> String {
        let id = session()
        var object: [String: Any] = [
            "v": 2, "kind": "start", "session_id": id, "user_id": "u-\(id)", "site_id": "shop", "started_at": time - Int64(int(5000)),
        ]
        if chance(60) {
            object["kind"] = "renew"
            var old = chance(20) ? "ghost-\(int(3))" : session()
            if old == id { old = "s\(Int(id.dropFirst())! + 1)" }
            object["old_session_id"] = old
        }
        context(into: &object)
        var attribution: [String: Any] = [:]
        if chance(50) { attribution["original"] = touch() }
        if chance(60) { attribution["current"] = touch() }
        if !attribution.isEmpty { object["attribution"] = attribution }
        return Self.json(object)
    }

    private mutating func v1() -> String {
        let id = session()
        let type = pick(["pageview", "pageview", "click", "scroll", "conversion", "form_submit"])
        if type == "pageview" { v1Pageviews[id, default: 0] += 1 }
        let stamp = Date(timeIntervalSince1970: Double(time + Int64(int(2000)) - 3000) / 1000)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let source = pick(["google", "facebook", "", "news%6Cetter"])
        var object: [String: Any] = [
            "v": 1, "event_id": "e\(int(12))", "event_type": type, "timestamp": formatter.string(from: stamp), "session_id": id,
            "user_id": "u-\(id)", "project_id": "shop", "session_event_sequence": 1 + int(9),
            "page_url": "https://shop.example\(pick(["/", "/products/1", "/pricing", ""]))?utm_source=\(source)&utm_medium=\(pick(["cpc", "social", ""]))",
        ]
        if chance(40) { object["referrer_url"] = pick(["https://www.google.com/", "https://shop.example/"]) }
        if type == "scroll" { object["scroll_percentage"] = pick([10, 55.5, 90]) }
        if type == "conversion" { object["event_value"] = pick([5, "2.5", "n/a", 0.75] as [Any]) }
        if chance(30) { object["campaign_id"] = pick(["c-1", " "]) }
        return Self.json(object)
    }

    static func json(_ object: [String: Any]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}
