import NIOHTTP1
import Payloads

/// The ingress's routes (SPEC §2), each with its path, the one method it takes and, for the
/// payload routes, the version it implies; and `/requeue`, through which `sessionlog requeue`
/// works while the ingress holds the log. Anything else is answered 404.
enum IngressRoute: String, CaseIterable, Sendable {
    case v3 = "/v3/session", v2 = "/v2/session", v1 = "/v1/events", batch = "/batch", health = "/health", metrics = "/metrics"
    case requeue = "/requeue"

    /// The route of a request target, whose query string does not count. A target in absolute
    /// form (`http://host/v3/session`, which RFC 9112 §3.2.2 says a server must accept) is routed
    /// by its path. (Searches run in the UTF-8 view: searching the `String` walks grapheme
    /// clusters, ~1% of the ingress's CPU per request.)
    init?(target: String) {
        var path = target.utf8[...]
        if let query = path.firstIndex(of: UInt8(ascii: "?")) { path = path[..<query] }
        if path.first != UInt8(ascii: "/"), let authority = path.firstRange(of: "://".utf8) {
            path = path[authority.upperBound...]
            path = path[(path.firstIndex(of: UInt8(ascii: "/")) ?? path.endIndex)...]
        }
        self.init(rawValue: String(Substring(path)))
    }

    var method: HTTPMethod {
        switch self {
        case .health, .metrics: .GET
        case .v3, .v2, .v1, .batch, .requeue: .POST
        }
    }

    /// The payload version a payload route implies; nil for `/batch` (each line's own `v` chooses)
    /// and for the routes that take no payload.
    var payloadVersion: PayloadVersion? {
        switch self {
        case .v3: .v3
        case .v2: .v2
        case .v1: .v1
        case .batch, .health, .metrics, .requeue: nil
        }
    }

    /// Every route as `METHOD path`, for the 404 answer.
    static let listing = allCases.map { "\($0.method) \($0.rawValue)" }.joined(separator: ", ")
}
