import Foundation

/// Typed access to one JSON object's members with SPEC §1 rules and error codes, for the
/// validators. Members are found by the `Member` parsing resolved their names to; `null` counts
/// as absent. Errors name the member's path, built only on error.
struct ObjectReader {
    static let timeMax: Double = 9_007_199_254_740_992  // 2^53, exclusive
    static let idBytesMax = 128

    let document: JSONTape
    /// The object's path: `parentPath` followed by `index` when it is an array element.
    private let parentPath: [PathComponent]
    private let index: Int?
    private let object: Int
    /// For objects of more than `scannedMembersMax` members (V1 events have ~20), each
    /// `Member`'s value node (0: absent), so reads need not scan; smaller objects are scanned.
    private let valueNodes: [Int32]?
    static let scannedMembersMax = 12

    init(_ document: JSONTape, _ node: Int, parentPath: [PathComponent], index: Int? = nil) throws(PayloadError) {
        self.document = document
        self.parentPath = parentPath
        self.index = index
        self.object = node
        guard document.kind(node) == .object else {
            throw PayloadError(.wrongType, path: PathComponent.render(index.map { parentPath + [.index($0)] } ?? parentPath), "expected an object, found \(document.kind(node).name)")
        }
        guard document.count(node) > Self.scannedMembersMax else {
            valueNodes = nil
            return
        }
        var values = [Int32](repeating: 0, count: Member.count)
        for key in document.memberKeys(of: node) {
            let id = document.memberID(named: key)
            if id != 0 { values[Int(id - 1)] = Int32(key + 1) }
        }
        valueNodes = values
    }

    var path: [PathComponent] { index.map { parentPath + [.index($0)] } ?? parentPath }

    func pathString(_ member: Member) -> String { PathComponent.render(path + [.key(member.key.description)]) }

    func error(_ code: PayloadError.Code, _ member: Member, _ message: String) -> PayloadError {
        PayloadError(code, path: pathString(member), "\(member.key): \(message)")
    }

    /// The member's node, nil when absent or null.
    func node(_ member: Member) -> Int? {
        guard let node = valueNode(member), document.kind(node) != .null else { return nil }
        return node
    }

    /// The member's value node: from the index, or a scan of the names parsing resolved, which
    /// for small objects costs less than indexing them first.
    private func valueNode(_ member: Member) -> Int? {
        if let valueNodes {
            let node = Int(valueNodes[Int(member.rawValue)])
            return node == 0 ? nil : node
        }
        return document.memberKeys(of: object).first { document.memberID(named: $0) == member.id }.map { $0 + 1 }
    }

    func required(_ member: Member) throws(PayloadError) -> Int {
        guard let node = node(member) else { throw error(.missingField, member, "is required") }
        return node
    }

    func expect(_ kind: JSONDocument.Kind, _ node: Int, _ member: Member) throws(PayloadError) {
        guard document.kind(node) == kind else {
            throw error(.wrongType, member, "expected \(kind.name), found \(document.kind(node).name)")
        }
    }

    // MARK: Strings

    func string(_ member: Member, required: Bool = false, lengthMax: Int = 1024, lengthMin: Int = 0) throws(PayloadError) -> String? {
        guard let node = required ? try self.required(member) : node(member) else { return nil }
        try expect(.string, node, member)
        // Raw bytes bound the code point count from above, so counting is needed only past the limit.
        if document.stringBytes(node).count > lengthMax || lengthMin > 0 {
            let length = document.codePointCount(node)
            guard length >= lengthMin && length <= lengthMax else {
                throw error(.outOfRange, member, "length \(length) is outside \(lengthMin)…\(lengthMax) characters")
            }
        }
        return document.string(node)
    }

    func requiredString(_ member: Member, lengthMax: Int = 1024, lengthMin: Int = 0) throws(PayloadError) -> String {
        try string(member, required: true, lengthMax: lengthMax, lengthMin: lengthMin)!
    }

    /// SPEC §1: 1–128 characters of `[A-Za-z0-9._:-]`.
    func id(_ member: Member, required: Bool = true) throws(PayloadError) -> String? {
        guard let node = required ? try self.required(member) : node(member) else { return nil }
        try expect(.string, node, member)
        let bytes = document.stringBytes(node)
        guard !bytes.isEmpty, bytes.count <= Self.idBytesMax, bytes.allSatisfy(Self.isIDByte) else {
            throw error(.invalidID, member, "an id is 1–128 characters of A-Z a-z 0-9 . _ : -")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func requiredID(_ member: Member) throws(PayloadError) -> String { try id(member, required: true)! }

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
    func integer(_ member: Member, required: Bool = false, in range: ClosedRange<Double>) throws(PayloadError) -> Int64? {
        guard let node = required ? try self.required(member) : node(member) else { return nil }
        try expect(.number, node, member)
        let value = document.number(node)
        guard value.rounded(.towardZero) == value else { throw error(.wrongType, member, "expected an integer, found \(value)") }
        guard range.contains(value) else {
            throw error(.outOfRange, member, "\(Self.format(value)) is outside \(Self.format(range.lowerBound))…\(Self.format(range.upperBound))")
        }
        return Int64(value)
    }

    /// A time: integer milliseconds since the epoch, 0 < t < 2^53.
    func time(_ member: Member, required: Bool = false) throws(PayloadError) -> Int64? {
        try integer(member, required: required, in: 1...(Self.timeMax - 1))
    }

    func requiredTime(_ member: Member) throws(PayloadError) -> Int64 { try time(member, required: true)! }

    func number(_ member: Member, in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) throws(PayloadError) -> Double? {
        guard let node = node(member) else { return nil }
        try expect(.number, node, member)
        let value = document.number(node)
        guard range.contains(value) else { throw error(.outOfRange, member, "\(value) is outside \(range.lowerBound)…\(range.upperBound)") }
        return value
    }

    func bool(_ member: Member) throws(PayloadError) -> Bool? {
        guard let node = node(member) else { return nil }
        try expect(.bool, node, member)
        return document.bool(node)
    }

    func object(_ member: Member) throws(PayloadError) -> ObjectReader? {
        guard let node = node(member) else { return nil }
        return try ObjectReader(document, node, parentPath: path + [.key(member.key.description)])
    }

    static func format(_ value: Double) -> String {
        value.rounded(.towardZero) == value && abs(value) < 1e18 ? String(Int64(value)) : String(value)
    }

    // MARK: Shared groups

    /// A touch object (V3 `attributes`, V2 `original`/`current`).
    func touch() throws(PayloadError) -> Touch {
        var touch = Touch()
        touch.utmSource = try string(.utmSource)
        touch.utmMedium = try string(.utmMedium)
        touch.utmCampaign = try string(.utmCampaign)
        touch.utmTerm = try string(.utmTerm)
        touch.utmContent = try string(.utmContent)
        touch.ref = try string(.ref)
        touch.source = try string(.source)
        touch.referrer = try string(.referrer, lengthMax: 8192)
        touch.landingPage = try string(.landingPage, lengthMax: 8192)
        touch.timestampMs = try time(.timestamp)
        return touch
    }

    func sessionContext() throws(PayloadError) -> SessionContext {
        var context = SessionContext()
        context.segmentID = try string(.segmentID)
        context.abTestID = try string(.abTestID)
        context.abTestVariantID = try string(.abTestVariantID)
        context.campaignID = try string(.campaignID)
        context.landingPageID = try string(.landingPageID)
        return context
    }
}
