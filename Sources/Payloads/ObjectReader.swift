import Foundation

/// Typed access to one JSON object's members with SPEC §1 rules and error codes, for the
/// validators. `null` counts as absent. Errors name the member's path, built only on error.
struct ObjectReader {
    static let timeMax: Double = 9_007_199_254_740_992  // 2^53, exclusive
    static let idBytesMax = 128

    let document: JSONDocument
    /// The object's path: `parentPath` followed by `index` when it is an array element.
    private let parentPath: [PathComponent]
    private let index: Int?
    private let members: MemberIndex

    init(_ document: JSONDocument, _ node: Int, parentPath: [PathComponent], index: Int? = nil) throws(PayloadError) {
        self.document = document
        self.parentPath = parentPath
        self.index = index
        guard document.kind(node) == .object else {
            throw PayloadError(.wrongType, path: PathComponent.render(index.map { parentPath + [.index($0)] } ?? parentPath), "expected an object, found \(document.kind(node).name)")
        }
        members = MemberIndex(document, node)
    }

    var path: [PathComponent] { index.map { parentPath + [.index($0)] } ?? parentPath }

    func pathString(_ key: StaticString) -> String { PathComponent.render(path + [.key(key.description)]) }

    func error(_ code: PayloadError.Code, _ key: StaticString, _ message: String) -> PayloadError {
        PayloadError(code, path: pathString(key), "\(key): \(message)")
    }

    /// The member's node, nil when absent or null.
    func node(_ key: StaticString) -> Int? {
        guard let member = members.member(in: document, name: key.utf8Start, length: key.utf8CodeUnitCount),
            document.kind(member) != .null
        else { return nil }
        return member
    }

    func required(_ key: StaticString) throws(PayloadError) -> Int {
        guard let node = node(key) else { throw error(.missingField, key, "is required") }
        return node
    }

    func expect(_ kind: JSONDocument.Kind, _ node: Int, _ key: StaticString) throws(PayloadError) {
        guard document.kind(node) == kind else {
            throw error(.wrongType, key, "expected \(kind.name), found \(document.kind(node).name)")
        }
    }

    // MARK: Strings

    func string(_ key: StaticString, required: Bool = false, lengthMax: Int = 1024, lengthMin: Int = 0) throws(PayloadError) -> String? {
        guard let node = required ? try self.required(key) : node(key) else { return nil }
        try expect(.string, node, key)
        // Raw bytes bound the code point count from above, so counting is needed only past the limit.
        if document.rawLength(node) > lengthMax || lengthMin > 0 {
            let length = document.codePointCount(node)
            guard length >= lengthMin && length <= lengthMax else {
                throw error(.outOfRange, key, "length \(length) is outside \(lengthMin)…\(lengthMax) characters")
            }
        }
        return document.string(node)
    }

    func requiredString(_ key: StaticString, lengthMax: Int = 1024, lengthMin: Int = 0) throws(PayloadError) -> String {
        try string(key, required: true, lengthMax: lengthMax, lengthMin: lengthMin)!
    }

    /// SPEC §1: 1–128 characters of `[A-Za-z0-9._:-]`.
    func id(_ key: StaticString, required: Bool = true) throws(PayloadError) -> String? {
        guard let node = required ? try self.required(key) : node(key) else { return nil }
        try expect(.string, node, key)
        let bytes = document.stringBytes(node)
        guard !bytes.isEmpty, bytes.count <= Self.idBytesMax, bytes.allSatisfy(Self.isIDByte) else {
            throw error(.invalidID, key, "an id is 1–128 characters of A-Z a-z 0-9 . _ : -")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func requiredID(_ key: StaticString) throws(PayloadError) -> String { try id(key, required: true)! }

    static func isIDByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "-"):
            true
        default: false
        }
    }

    // MARK: Numbers

    /// An integer (zero fraction or exponent allowed, as JSON Schema does) within `range`.
    func integer(_ key: StaticString, required: Bool = false, in range: ClosedRange<Double>) throws(PayloadError) -> Int64? {
        guard let node = required ? try self.required(key) : node(key) else { return nil }
        try expect(.number, node, key)
        let value = document.number(node)
        guard value.rounded(.towardZero) == value else { throw error(.wrongType, key, "expected an integer, found \(value)") }
        guard range.contains(value) else {
            throw error(.outOfRange, key, "\(Self.format(value)) is outside \(Self.format(range.lowerBound))…\(Self.format(range.upperBound))")
        }
        return Int64(value)
    }

    /// A time: integer milliseconds since the epoch, 0 < t < 2^53.
    func time(_ key: StaticString, required: Bool = false) throws(PayloadError) -> Int64? {
        try integer(key, required: required, in: 1...(Self.timeMax - 1))
    }

    func requiredTime(_ key: StaticString) throws(PayloadError) -> Int64 { try time(key, required: true)! }

    func number(_ key: StaticString, in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) throws(PayloadError) -> Double? {
        guard let node = node(key) else { return nil }
        try expect(.number, node, key)
        let value = document.number(node)
        guard range.contains(value) else { throw error(.outOfRange, key, "\(value) is outside \(range.lowerBound)…\(range.upperBound)") }
        return value
    }

    func bool(_ key: StaticString) throws(PayloadError) -> Bool? {
        guard let node = node(key) else { return nil }
        try expect(.bool, node, key)
        return document.bool(node)
    }

    func object(_ key: StaticString) throws(PayloadError) -> ObjectReader? {
        guard let node = node(key) else { return nil }
        return try ObjectReader(document, node, parentPath: path + [.key(key.description)])
    }

    static func format(_ value: Double) -> String {
        value.rounded(.towardZero) == value && abs(value) < 1e18 ? String(Int64(value)) : String(value)
    }

    // MARK: Shared groups

    /// A touch object (V3 `attributes`, V2 `original`/`current`).
    func touch() throws(PayloadError) -> Touch {
        var touch = Touch()
        touch.utmSource = try string("utm_source")
        touch.utmMedium = try string("utm_medium")
        touch.utmCampaign = try string("utm_campaign")
        touch.utmTerm = try string("utm_term")
        touch.utmContent = try string("utm_content")
        touch.ref = try string("ref")
        touch.source = try string("source")
        touch.referrer = try string("referrer", lengthMax: 8192)
        touch.landingPage = try string("landing_page", lengthMax: 8192)
        touch.timestampMs = try time("timestamp")
        return touch
    }

    func sessionContext() throws(PayloadError) -> SessionContext {
        var context = SessionContext()
        context.segmentID = try string("segment_id")
        context.abTestID = try string("ab_test_id")
        context.abTestVariantID = try string("ab_test_variant_id")
        context.campaignID = try string("campaign_id")
        context.landingPageID = try string("landing_page_id")
        return context
    }
}
