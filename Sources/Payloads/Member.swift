import Foundation

/// Every member name the payload schemas read (SPEC §1), so an object's members are matched to
/// them once, by a hashed table, and each read is an array index. Unknown names are ignored.
enum Member: UInt8, CaseIterable {
    case v, idempotencyKey, sessionID, userID, siteID, sentAt
    case checkpoint, attributes, actions, utmSource, utmMedium, utmCampaign
    case utmTerm, utmContent, ref, source, referrer, landingPage
    case timestamp, segmentID, abTestID, abTestVariantID, campaignID, landingPageID
    case type, pageNumber, path, url, title, enteredAt
    case durationMs, scroll, `final`, name, at, value
    case kind, oldSessionID, startedAt, expiresAt, attribution, original
    case current, eventID, eventType, projectID, pageURL, referrerURL
    case sessionEventSequence, scrollPercentage, timeOnPage, eventValue, metadata, eventValueType
    case workspaceID, attributionID, environment

    /// How many members there are (`allCases` builds an array on every call).
    static let count = allCases.count

    /// The mark parsing leaves on a name resolved to this member (`JSONTape.memberID(named:)`):
    /// the raw value + 1, as 0 marks a name no schema reads.
    var id: UInt8 { rawValue + 1 }

    /// The member name as it appears in payloads and error paths.
    var key: StaticString {
        switch self {
        case .v: "v"
        case .idempotencyKey: "idempotency_key"
        case .sessionID: "session_id"
        case .userID: "user_id"
        case .siteID: "site_id"
        case .sentAt: "sent_at"
        case .checkpoint: "checkpoint"
        case .attributes: "attributes"
        case .actions: "actions"
        case .utmSource: "utm_source"
        case .utmMedium: "utm_medium"
        case .utmCampaign: "utm_campaign"
        case .utmTerm: "utm_term"
        case .utmContent: "utm_content"
        case .ref: "ref"
        case .source: "source"
        case .referrer: "referrer"
        case .landingPage: "landing_page"
        case .timestamp: "timestamp"
        case .segmentID: "segment_id"
        case .abTestID: "ab_test_id"
        case .abTestVariantID: "ab_test_variant_id"
        case .campaignID: "campaign_id"
        case .landingPageID: "landing_page_id"
        case .type: "type"
        case .pageNumber: "page_number"
        case .path: "path"
        case .url: "url"
        case .title: "title"
        case .enteredAt: "entered_at"
        case .durationMs: "duration_ms"
        case .scroll: "scroll"
        case .`final`: "final"
        case .name: "name"
        case .at: "at"
        case .value: "value"
        case .kind: "kind"
        case .oldSessionID: "old_session_id"
        case .startedAt: "started_at"
        case .expiresAt: "expires_at"
        case .attribution: "attribution"
        case .original: "original"
        case .current: "current"
        case .eventID: "event_id"
        case .eventType: "event_type"
        case .projectID: "project_id"
        case .pageURL: "page_url"
        case .referrerURL: "referrer_url"
        case .sessionEventSequence: "session_event_sequence"
        case .scrollPercentage: "scroll_percentage"
        case .timeOnPage: "time_on_page"
        case .eventValue: "event_value"
        case .metadata: "metadata"
        case .eventValueType: "event_value_type"
        case .workspaceID: "workspace_id"
        case .attributionID: "attribution_id"
        case .environment: "environment"
        }
    }
}

/// Member names hashed into 128 slots (open addressing) by length and first 8 bytes: a name
/// costs one hash and, nearly always, one comparison to resolve or to be found unknown.
///
/// Parsing resolves every member name once (`resolve`), which also finds repeated names, so
/// readers index members without looking names up again.
struct MemberTable: @unchecked Sendable {
    static let shared = MemberTable()
    static let slotBits = 7

    /// A slot: its member's name length (0: empty), `Member.id` and name as three zero-padded
    /// little-endian words (names are at most 24 bytes).
    private struct Entry {
        var length: UInt8 = 0
        var id: UInt8 = 0
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
    }

    /// Written once here, never freed: the process-wide table is immutable and immortal.
    private let slots: UnsafeMutableBufferPointer<Entry>

    private init() {
        slots = .allocate(capacity: 1 << Self.slotBits)
        slots.initialize(repeating: Entry())
        precondition(Member.count <= 64, "a member's bit fits a 64-bit mask (and its raw value + 1 a byte)")
        for member in Member.allCases {
            let key = member.key
            let (name, length) = (key.utf8Start, key.utf8CodeUnitCount)
            precondition(length > 0 && length <= 24, "member names are 1–24 bytes")
            let words = Self.words(name, length)
            var slot = Self.hash(words.0, length, bits: Self.slotBits)
            while slots[slot].length != 0 { slot = (slot + 1) & (slots.count - 1) }
            slots[slot] = Entry(length: UInt8(length), id: member.id, words: words)
        }
    }

    /// The member named by the `length` bytes at `name`, as its raw value + 1 (0: no schema
    /// reads it). `readable` is how many bytes from `name` on may be read: with 24 or more the
    /// name is loaded as three masked words, with fewer byte by byte.
    @inline(__always) func memberID(_ name: UnsafePointer<UInt8>, _ length: Int, readable: Int) -> UInt8 {
        guard length <= 24 else { return 0 }
        let words = readable >= 24 ? Self.maskedWords(name, length) : Self.words(name, length)
        var slot = Self.hash(words.0, length, bits: Self.slotBits)
        while true {
            let entry = slots[slot]
            guard entry.length != 0 else { return 0 }
            if Int(entry.length) == length && entry.words == words { return entry.id }
            slot = (slot + 1) & (slots.count - 1)
        }
    }

    /// A name's first `min(8, length)` bytes as a little-endian word (zero-padded).
    @inline(__always) private static func prefix(_ p: UnsafePointer<UInt8>, _ length: Int) -> UInt64 {
        if length >= 8 { return UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)) }
        var word: UInt64 = 0
        for i in 0..<length { word |= UInt64(p[i]) << (8 * UInt64(i)) }
        return word
    }

    /// A `bits`-bit hash of a name of `length` bytes starting with `prefix`.
    @inline(__always) private static func hash(_ prefix: UInt64, _ length: Int, bits: Int) -> Int {
        Int(truncatingIfNeeded: ((prefix &+ UInt64(length)) &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - bits))
    }

    /// The `length` (≤ 24) bytes at `name` as three zero-padded little-endian words.
    @inline(__always) private static func words(_ name: UnsafePointer<UInt8>, _ length: Int) -> (UInt64, UInt64, UInt64) {
        (
            Self.prefix(name, min(length, 8)), length > 8 ? Self.prefix(name + 8, min(length - 8, 8)) : 0,
            length > 16 ? Self.prefix(name + 16, length - 16) : 0
        )
    }

    /// `words`, from three unaligned loads (24 bytes must be readable) masked to `length`.
    @inline(__always) private static func maskedWords(_ name: UnsafePointer<UInt8>, _ length: Int) -> (UInt64, UInt64, UInt64) {
        let raw = UnsafeRawPointer(name)
        @inline(__always) func word(_ index: Int) -> UInt64 {
            let kept = length - 8 * index
            guard kept > 0 else { return 0 }
            let value = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self))
            return kept >= 8 ? value : value & ((1 &<< UInt64(8 * kept)) &- 1)
        }
        return (word(0), word(1), word(2))
    }

    /// Marks each member name of the object at `object` with its `Member` (see
    /// `JSONDocument.tape`) and returns the name node of the first member whose name an earlier
    /// member has, nil when the names are distinct. Known names are checked against a mask;
    /// names no schema reads are compared with each other (sorted when there are many).
    func resolve(_ tape: UnsafeMutableBufferPointer<UInt64>, _ strings: UnsafeBufferPointer<UInt8>, object: Int) -> Int? {
        // Reading through a view while marking name words: the walk reads only value words.
        let view = JSONTape(words: UnsafeBufferPointer(tape), strings: strings)
        var seen: UInt64 = 0
        var repeated: Int?
        var unknownCount = 0
        let stringsEnd = strings.baseAddress! + strings.count
        for key in view.memberKeys(of: object) {
            let name = view.stringBytes(key)
            let id = memberID(name.baseAddress!, name.count, readable: stringsEnd - name.baseAddress!)
            guard id != 0 else {
                unknownCount += 1
                continue
            }
            let bit: UInt64 = 1 &<< (id - 1)
            if seen & bit != 0 && repeated == nil { repeated = key }
            seen |= bit
            tape[key] |= UInt64(id) << JSONDocument.memberShift
        }
        guard unknownCount >= 2, let other = Self.firstRepeatedUnknown(view, object: object) else { return repeated }
        return min(repeated ?? .max, other)
    }

    /// The first name node of `object`, among the names no schema reads, whose name an earlier
    /// one has.
    private static func firstRepeatedUnknown(_ tape: JSONTape, object: Int) -> Int? {
        let keys = tape.memberKeys(of: object).filter { tape.memberID(named: $0) == 0 }
        let name = tape.stringBytes
        if keys.count <= 16 {
            for i in 1..<keys.count where keys[..<i].contains(where: { name($0).elementsEqual(name(keys[i])) }) { return keys[i] }
            return nil
        }
        // Sorted by name, then position: equal names are adjacent, and of each run the second
        // is a repeat; the earliest such repeat in document order is the answer.
        let sorted = keys.sorted { a, b in
            let (x, y) = (name(a), name(b))
            return x.elementsEqual(y) ? a < b : x.lexicographicallyPrecedes(y)
        }
        var first: Int?
        for i in 1..<sorted.count where name(sorted[i]).elementsEqual(name(sorted[i - 1])) { first = min(first ?? .max, sorted[i]) }
        return first
    }
}
