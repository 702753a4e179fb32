/// The fold of one session's accepted records (SPEC §4.1), everything any projection derives its
/// rows from. Built only by `apply(_:offset:)` in offset order; strings are already cleaned
/// (`FoldText.clean`). Persisted between batches by `SessionStateCodec`.
///
/// Not thread-safe; owned by one projector's cache.
public final class SessionState {
    public let sessionID: String
    /// From the session's first record, whatever its version.
    public internal(set) var siteID = ""
    public internal(set) var userID = ""
    /// First non-absent value of each context id, in log order across V1, V2 and V3.
    public internal(set) var context = [String?](repeating: nil, count: ContextField.allCases.count)
    /// The first V2 `renew`'s `old_session_id`.
    public internal(set) var renewedFrom: String?
    /// First non-absent value of each touch field from V3 `attributes` and V2 `attribution.current`.
    var touchV2V3 = TouchFields()
    /// The same from V2 `attribution.original`.
    public internal(set) var originalTouch = TouchFields()
    /// From the first V1 pageview; nil before one arrives.
    var touchV1: TouchFields?
    /// V3 pages by page number, each the last write in log order.
    var pagesV3: [Int: PageRow] = [:]
    /// V1 pages in the order their pageviews arrived: `pagesV1[i]` is page number i + 1.
    var pagesV1: [V1Page] = []
    /// V1 event ids already folded (duplicates by `(session_id, event_id)` are ignored).
    var eventIDsV1: Set<String> = []
    var goals: [GoalToken: GoalRow] = [:]
    var startedAtV2Min: Int64?
    var sentAtV3Min: Int64?
    var timeV1Min: Int64?
    var timeV1Max: Int64?

    public init(sessionID: String) { self.sessionID = sessionID }

    /// The session's own touch: V2/V3 fields, or its V1 touch when V2/V3 gave none.
    public var ownTouch: TouchFields { touchV2V3.exists ? touchV2V3 : (touchV1 ?? TouchFields()) }
}

/// The session-context ids that take the first non-absent value (SPEC §4.1), in column order.
public enum ContextField: Int, CaseIterable, Sendable {
    case segmentID, abTestID, abTestVariantID, campaignID, landingPageID
}

/// The nine string fields of a touch (SPEC §1.2), cleaned; absent fields are nil.
public struct TouchFields: Equatable, Sendable {
    public enum Field: Int, CaseIterable, Sendable {
        case utmSource, utmMedium, utmCampaign, utmTerm, utmContent, ref, source, referrer, landingPage
    }

    public var values = [String?](repeating: nil, count: Field.allCases.count)

    public init() {}

    public subscript(field: Field) -> String? {
        get { values[field.rawValue] }
        set { values[field.rawValue] = newValue }
    }

    /// A touch exists when at least one of its string fields is present.
    public var exists: Bool { values.contains { $0 != nil } }

}

/// A page row as the pages projection stores it (SPEC §4.2).
public struct PageRow: Equatable, Sendable {
    public var pageNumber: Int
    public var path: String
    public var url: String?
    public var title: String?
    public var enteredAtMs: Int64
    /// NULL only for a V1 last page without later events.
    public var durationMs: Int64?
    public var scroll: Double?
    /// The offset of the write that produced this row.
    public var version: Int64
}

/// A page opened by a V1 pageview; its duration and scroll come from later V1 events.
struct V1Page: Equatable {
    var path: String
    var url: String?
    var enteredAtMs: Int64
    /// Offset of the opening pageview.
    var version: Int64
    var nextEnteredAtMs: Int64?
    var laterEventMaxMs: Int64?
    var scrollMax: Double?

    func row(number: Int) -> PageRow {
        let end = nextEnteredAtMs ?? laterEventMaxMs
        return PageRow(
            pageNumber: number, path: path, url: url, title: nil, enteredAtMs: enteredAtMs,
            durationMs: end.map { max(0, $0 - enteredAtMs) }, scroll: scrollMax, version: version)
    }
}

/// A goal's dedup token: `e:<event_id>` for V1 conversions, `s:<seq>` for V3 goals.
public enum GoalToken: Hashable, Sendable {
    case v1(eventID: String)
    case v3(seq: Int64)
}

/// A goal as the fold keeps it.
public struct GoalRow: Equatable, Sendable {
    public var token: GoalToken
    public var pageNumber: Int
    public var name: String?
    public var atMs: Int64
    public var value: Double
    /// Goal order among goals of one kind: the V1 event's offset, or the V3 `seq`.
    public var order: Int64
}
