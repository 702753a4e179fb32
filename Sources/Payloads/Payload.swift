/// Payload generations (SPEC §1); the raw value is the `v` field and the log record's version.
public enum PayloadVersion: UInt8, Sendable, CaseIterable {
    case v1 = 1, v2 = 2, v3 = 3
}

/// A validated, decoded payload. Optional fields that were `null` are nil; strings are as sent,
/// as `PayloadText` (trimming and blank-as-absent are the fold's business, SPEC §4.1).
///
/// `indirect`: the payload structs are hundreds of bytes, and a boxed payload moves out of the
/// decoder's nested closures as one pointer rather than being copied at every level.
public indirect enum Payload: Sendable, Equatable {
    case v1(V1Event)
    case v2(V2SessionContext)
    case v3(V3SessionPayload)

    public var version: PayloadVersion {
        switch self {
        case .v1: .v1
        case .v2: .v2
        case .v3: .v3
        }
    }
}

/// What the ingress answers for a valid payload (SPEC §1): its version and, for V3, the
/// checkpoint it acknowledges. `PayloadValidator.check` gives it without decoding the payload.
public struct PayloadVerdict: Sendable, Equatable {
    public var version: PayloadVersion
    /// V3's `acknowledgedCheckpoint`; nil for V1 and V2.
    public var acknowledgedCheckpoint: Int64?

    public init(version: PayloadVersion, acknowledgedCheckpoint: Int64?) {
        self.version = version
        self.acknowledgedCheckpoint = acknowledgedCheckpoint
    }
}

extension Payload {
    /// The verdict `PayloadValidator.check` gives for this payload's bytes.
    public var verdict: PayloadVerdict {
        let checkpoint: Int64? = if case .v3(let session) = self { session.acknowledgedCheckpoint } else { nil }
        return PayloadVerdict(version: version, acknowledgedCheckpoint: checkpoint)
    }
}

/// Landing/traffic-source fields shared by V3 `attributes` and V2 `attribution.original`/`current`.
public struct Touch: Sendable, Equatable {
    public var utmSource, utmMedium, utmCampaign, utmTerm, utmContent, ref, source, referrer, landingPage: PayloadText?
    public var timestampMs: Int64?

    public init() {}
}

/// Session context ids that take the first non-null value in log order (SPEC §4.1).
public struct SessionContext: Sendable, Equatable {
    public var segmentID, abTestID, abTestVariantID, campaignID, landingPageID: PayloadText?

    public init() {}
}

/// SPEC §1.1: the whole-session payload.
public struct V3SessionPayload: Sendable, Equatable {
    public var sessionID, userID, siteID: PayloadText
    public var sentAtMs: Int64
    /// Actions the server already acknowledged before this payload; actions[i] has seq checkpoint + i.
    public var checkpoint: Int64
    public var touch: Touch
    public var context: SessionContext
    public var actions: [V3Action]

    /// The checkpoint to answer (SPEC §1.1): `checkpoint` plus the longest prefix of actions that
    /// are all final (goals always are; a pageview when `final` is true).
    public var acknowledgedCheckpoint: Int64 {
        var prefix = FinalPrefix()
        for action in actions { prefix.add(isFinal: action.isFinal) }
        return checkpoint + prefix.count
    }
}

/// SPEC §1.1's count of acknowledged actions: how many actions, from the first, are all final.
/// Fed every action in order; `PayloadValidator.check` counts with it without keeping actions.
struct FinalPrefix {
    private(set) var count: Int64 = 0
    private var broken = false

    mutating func add(isFinal: Bool) {
        if !isFinal { broken = true }
        if !broken { count += 1 }
    }
}

/// One item of a V3 payload's `actions`; its sequence number is the payload's checkpoint + index.
public enum V3Action: Sendable, Equatable {
    case pageview(PageView)
    case goal(Goal)

    public var isFinal: Bool {
        switch self {
        case .pageview(let page): page.final
        case .goal: true
        }
    }
}

/// A V3 pageview: replaces the page `(session_id, page_number)` whole (SPEC §4.1).
public struct PageView: Sendable, Equatable {
    public var pageNumber: Int
    public var path: PayloadText
    public var url, title: PayloadText?
    public var enteredAtMs: Int64
    public var durationMs: Int64
    public var scroll: Int?
    public var final: Bool
}

/// A V3 goal; its dedup token is `s:<seq>` (SPEC §4.1).
public struct Goal: Sendable, Equatable {
    public var pageNumber: Int
    public var name: PayloadText
    public var atMs: Int64
    public var value: Double
}

/// SPEC §1.2: session start or renewal.
public struct V2SessionContext: Sendable, Equatable {
    /// A new session, or the renewal of `oldSessionID` (which keeps its attribution).
    public enum Kind: String, Sendable, CaseIterable { case start, renew }

    public var kind: Kind
    public var sessionID, userID, siteID: PayloadText
    /// Set for `renew` only (ignored on `start`).
    public var oldSessionID: PayloadText?
    public var startedAtMs: Int64
    public var expiresAtMs: Int64?
    public var context: SessionContext
    public var original: Touch?
    public var current: Touch?
}

/// SPEC §1.3: one legacy behavioural event.
public struct V1Event: Sendable, Equatable {
    /// The V1 event types; any other is `unknown_event_type`.
    public enum EventType: String, Sendable, CaseIterable { case pageview, click, scroll, formSubmit = "form_submit", conversion }
    /// `event_value` as sent: a JSON number or a string.
    public enum Value: Sendable, Equatable {
        case number(Double)
        case string(PayloadText)
    }

    public var eventID: PayloadText
    public var eventType: EventType
    /// `timestamp` converted to UTC milliseconds (fraction truncated to ms).
    public var timestampMs: Int64
    public var sessionID, userID, projectID: PayloadText
    public var pageURL: PayloadText
    public var referrerURL: PayloadText?
    public var sessionEventSequence: Int64
    public var scrollPercentage: Double?
    public var timeOnPage: Double?
    public var eventValue: Value?
    public var context: SessionContext
    public var siteID: PayloadText { projectID }
}
