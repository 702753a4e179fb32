import Foundation

/// Typed access to one JSON object's members with SPEC §1 rules and error codes, for the
/// validators. Members are found by the `Member` parsing resolved their names to; `null` counts
/// as absent. Errors name the member's path, built only on error.
///
/// A reader lives for the duration of the closure given to `read`: its index of value nodes is
/// a stack allocation filled in one pass over the object's names, so every read is O(1).
struct ObjectReader {
    static let timeMax: Double = 9_007_199_254_740_992  // 2^53, exclusive
    static let idBytesMax = 128

    let document: JSONTape
    /// The copy of the document's strings `readRoot` made: the storage of the texts this reader
    /// returns. Borrowed, as `valueNodes` is, for as long as the reader lives, so making a reader
    /// takes no reference (a retain and a release per object: ~7% of decoding a 2.4 KB V3 payload).
    private let texts: UnsafePointer<[UInt8]>
    /// Where the object is in the payload.
    let path: ObjectPath
    /// Bit `member.rawValue` is set when the object has that member (null or not).
    private let present: UInt64
    /// Indexed by `Member.rawValue`: each present member's value node. Entries of absent members
    /// are uninitialized and never read.
    private let valueNodes: UnsafeMutablePointer<Int32>

    private init(
        document: JSONTape, texts: UnsafePointer<[UInt8]>, path: ObjectPath, present: UInt64, valueNodes: UnsafeMutablePointer<Int32>
    ) {
        self.document = document
        self.texts = texts
        self.path = path
        self.present = present
        self.valueNodes = valueNodes
    }

    /// Calls `body` with a reader of the document's root object. The texts of this reader and of
    /// every reader below it share one copy of the document's strings, made here.
    static func readRoot<R>(_ document: JSONTape, _ body: (ObjectReader) throws(PayloadError) -> R) throws(PayloadError) -> R {
        try withUnsafePointer(to: Array(document.strings)) { (texts) throws(PayloadError) in
            try read(document, texts: texts, document.root, path: ObjectPath(), body)
        }
    }

    /// Calls `body` with a reader of the object at `node` (an element of one of this object's
    /// arrays), found at `path`; `wrong_type` when the node is not an object.
    func read<R>(_ node: Int, at path: ObjectPath, _ body: (ObjectReader) throws(PayloadError) -> R) throws(PayloadError) -> R {
        try Self.read(document, texts: texts, node, path: path, body)
    }

    /// Calls `body` with a reader of the object at `node`, found at `path`; `wrong_type` when the
    /// node is not an object. `texts` must point at a copy of `document.strings`. The reader must not
    /// escape `body`.
    private static func read<R>(
        _ document: JSONTape, texts: UnsafePointer<[UInt8]>, _ node: Int, path: ObjectPath, _ body: (ObjectReader) throws(PayloadError) -> R
    ) throws(PayloadError) -> R {
        guard document.kind(node) == .object else { throw notAnObject(document.kind(node), path: path.components) }
        // One slot per possible member id: `MemberTable` guarantees there are at most 64.
        return try withUnsafeTemporaryAllocation(of: Int32.self, capacity: 64) { (slots) throws(PayloadError) -> R in
            var present: UInt64 = 0
            for key in document.memberKeys(of: node) {
                let id = document.memberID(named: key)
                guard id != 0 else { continue }
                // Parsing rejected repeated names, so each slot is written at most once.
                slots[Int(id - 1)] = Int32(truncatingIfNeeded: key + 1)
                present |= 1 &<< UInt64(id - 1)
            }
            return try body(
                ObjectReader(document: document, texts: texts, path: path, present: present, valueNodes: slots.baseAddress!))
        }
    }

    private static func notAnObject(_ kind: JSONDocument.Kind, path: [PathComponent]) -> PayloadError {
        PayloadError(.wrongType, path: PathComponent.render(path), "expected an object, found \(kind.name)")
    }

    func pathString(_ member: Member) -> String { PathComponent.render(path.appending(.member(member)).components) }

    func error(_ code: PayloadError.Code, _ member: Member, _ message: String) -> PayloadError {
        PayloadError(code, path: pathString(member), member: member.key.description, message)
    }

    /// The member's node, nil when absent or null.
    @inline(__always) func node(_ member: Member) -> Int? {
        guard present & (1 &<< UInt64(member.rawValue)) != 0 else { return nil }
        let node = Int(valueNodes[Int(member.rawValue)])
        return document.kind(node) == .null ? nil : node
    }

    /// The member's node; `missing_field` when absent or null, saying why when it is required
    /// only in some payloads (`when`: "kind is renew").
    @inline(__always) func required(_ member: Member, when condition: String? = nil) throws(PayloadError) -> Int {
        guard let node = node(member) else { throw error(.missingField, member, condition.map { "is required when \($0)" } ?? "is required") }
        return node
    }

    /// Throws `wrong_type` unless the node is of `kind`; the message names `expected` (the
    /// kind's name unless given: "a time in ms since the Unix epoch").
    @inline(__always) func expect(_ kind: JSONDocument.Kind, _ node: Int, _ member: Member, expected: String? = nil) throws(PayloadError) {
        guard document.kind(node) == kind else { throw wrongType(expected ?? kind.name, node, member) }
    }

    private func wrongType(_ expected: String, _ node: Int, _ member: Member) -> PayloadError {
        error(.wrongType, member, "expected \(expected), found \(document.kind(node).name)")
    }

    // MARK: Strings

    /// The member's text after its checks; with `keeping` false the checks alone (nil), for a
    /// caller that keeps nothing of it (no text, no reference to count).
    func string(_ member: Member, required: Bool = false, lengthMax: Int = 1024, lengthMin: Int = 0, keeping: Bool = true)
        throws(PayloadError) -> PayloadText?
    {
        guard let node = required ? try self.required(member) : node(member) else { return nil }
        try expect(.string, node, member)
        // A string of n bytes has n/4…n code points, so counting is needed only near the limits.
        let bytes = document.stringBytes(node).count
        if bytes > lengthMax || bytes < 4 * lengthMin {
            let length = document.codePointCount(node)
            guard length >= lengthMin && length <= lengthMax else {
                throw error(.outOfRange, member, "length \(length) is outside \(lengthMin)…\(lengthMax) characters")
            }
        }
        return keeping ? document.text(node, in: texts.pointee) : nil
    }

    func requiredString(_ member: Member, lengthMax: Int = 1024, lengthMin: Int = 0) throws(PayloadError) -> PayloadText {
        try string(member, required: true, lengthMax: lengthMax, lengthMin: lengthMin)!
    }

    /// SPEC §1: 1–128 characters of `[A-Za-z0-9._:-]`.
    func requiredID(_ member: Member, when condition: String? = nil) throws(PayloadError) -> PayloadText {
        let node = try required(member, when: condition)
        try expect(.string, node, member)
        let bytes = document.stringBytes(node)
        guard !bytes.isEmpty, bytes.count <= Self.idBytesMax, bytes.allSatisfy(Self.isIDByte) else {
            throw error(.invalidID, member, "\(PayloadError.quoted(document.string(node))) is not an id: 1–128 characters of A-Z a-z 0-9 . _ : -")
        }
        return document.text(node, in: texts.pointee)
    }

    /// `[A-Za-z0-9._:-]`, as bits of two words: bytes 0–63, then 64–127.
    @inline(__always) static func isIDByte(_ c: UInt8) -> Bool {
        let word: UInt64 = c < 64 ? 0x07FF_6000_0000_0000 : c < 128 ? 0x07FF_FFFE_87FF_FFFE : 0
        return (word >> UInt64(c & 63)) & 1 != 0
    }

    // MARK: Numbers

    /// An integer (zero fraction or exponent allowed, as JSON Schema does) within `range`, whose
    /// bounds must be integers of magnitude at most 2^53.
    func integer(_ member: Member, required: Bool = false, in range: ClosedRange<Double>, expected: String? = nil) throws(PayloadError) -> Int64? {
        assert(range.lowerBound.rounded() == range.lowerBound && range.upperBound.rounded() == range.upperBound, "integer bounds")
        assert(max(-range.lowerBound, range.upperBound) <= Self.timeMax, "bounds of magnitude at most 2^53")
        guard let node = required ? try self.required(member) : node(member) else { return nil }
        try expect(.number, node, member, expected: expected)
        let value = document.number(node)
        // An integer word needs no fraction check; converted to a double, it is in range exactly
        // when it is (rounding never crosses an integer bound of magnitude ≤ 2^53).
        guard document.isInteger(node) || value.rounded(.towardZero) == value else {
            throw error(.wrongType, member, "expected an integer, found \(value)")
        }
        guard range.contains(value) else {
            throw error(.outOfRange, member, "\(Self.format(value)) is outside \(Self.format(range.lowerBound))…\(Self.format(range.upperBound))")
        }
        return Int64(value)
    }

    /// A time: integer milliseconds since the epoch, 0 < t < 2^53.
    func time(_ member: Member, required: Bool = false) throws(PayloadError) -> Int64? {
        try integer(member, required: required, in: 1...(Self.timeMax - 1), expected: "a time in milliseconds since the Unix epoch")
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

    /// The member's object node (nil when absent or null): the node `object` reads, checked
    /// here so a caller can report a wrong type before reading other members.
    func objectNode(_ member: Member) throws(PayloadError) -> Int? {
        guard let node = node(member) else { return nil }
        guard document.kind(node) == .object else {
            throw Self.notAnObject(document.kind(node), path: path.appending(.member(member)).components)
        }
        return node
    }

    /// Calls `body` with a reader of the member's object node (see `objectNode`).
    func object<R>(_ member: Member, at node: Int, _ body: (ObjectReader) throws(PayloadError) -> R) throws(PayloadError) -> R {
        try read(node, at: path.appending(.member(member)), body)
    }

    /// Calls `body` with a reader of the member's object; nil when it is absent or null.
    func object<R>(_ member: Member, _ body: (ObjectReader) throws(PayloadError) -> R) throws(PayloadError) -> R? {
        guard let node = try objectNode(member) else { return nil }
        return try object(member, at: node, body)
    }

    static func format(_ value: Double) -> String {
        value.rounded(.towardZero) == value && abs(value) < 1e18 ? String(Int64(value)) : String(value)
    }

    // MARK: Shared groups

    /// A touch object (V3 `attributes`, V2 `original`/`current`); with `keeping` false only
    /// checked, its texts left nil. Inlined, so a caller that keeps nothing builds no `Touch` to
    /// copy and destroy (the ingress's V2 checks: +12%, docs/measurements.md session 35).
    @inline(__always) func touch(keeping: Bool = true) throws(PayloadError) -> Touch {
        var touch = Touch()
        touch.utmSource = try string(.utmSource, keeping: keeping)
        touch.utmMedium = try string(.utmMedium, keeping: keeping)
        touch.utmCampaign = try string(.utmCampaign, keeping: keeping)
        touch.utmTerm = try string(.utmTerm, keeping: keeping)
        touch.utmContent = try string(.utmContent, keeping: keeping)
        touch.ref = try string(.ref, keeping: keeping)
        touch.source = try string(.source, keeping: keeping)
        touch.referrer = try string(.referrer, lengthMax: 8192, keeping: keeping)
        touch.landingPage = try string(.landingPage, lengthMax: 8192, keeping: keeping)
        touch.timestampMs = try time(.timestamp)
        return touch
    }

    /// The session context ids; with `keeping` false only checked, and left nil. Inlined, as `touch`.
    @inline(__always) func sessionContext(keeping: Bool = true) throws(PayloadError) -> SessionContext {
        var context = SessionContext()
        context.segmentID = try string(.segmentID, keeping: keeping)
        context.abTestID = try string(.abTestID, keeping: keeping)
        context.abTestVariantID = try string(.abTestVariantID, keeping: keeping)
        context.campaignID = try string(.campaignID, keeping: keeping)
        context.landingPageID = try string(.landingPageID, keeping: keeping)
        return context
    }
}

/// Where a reader's object lies: the steps from the payload's root, packed into one word (16 bits
/// a step, at most four: the schemas' objects nest no deeper) so readers copy it in a register,
/// and turned into `PathComponent`s only for an error.
struct ObjectPath {
    enum Step {
        case member(Member)
        /// An array index below `indexLimit` (the schemas' one array, `actions`, holds at most
        /// `PayloadLimits.actionsMax`).
        case index(Int)
    }

    private static let stepsMax = 4
    private static let indexLimit = 1 << 15
    /// Step k in bits 16k…16k+15: a member's raw value with this flag, or an index.
    private static let memberFlag: UInt64 = 0x8000
    private var packed: UInt64 = 0
    private var count: UInt8 = 0

    /// The payload's root object.
    init() {}

    func appending(_ step: Step) -> ObjectPath {
        precondition(Int(count) < Self.stepsMax, "the schemas' objects nest at most \(Self.stepsMax) deep")
        let bits: UInt64
        switch step {
        case .member(let member): bits = Self.memberFlag | UInt64(member.rawValue)
        case .index(let position):
            precondition(position >= 0 && position < Self.indexLimit, "array index \(position) outside the packed range")
            bits = UInt64(position)
        }
        var path = self
        path.packed |= bits << (16 * UInt64(count))
        path.count += 1
        return path
    }

    var components: [PathComponent] {
        (0..<Int(count)).map { (index) -> PathComponent in
            let bits = (packed >> (16 * UInt64(index))) & 0xFFFF
            guard bits & Self.memberFlag != 0 else { return .index(Int(bits)) }
            // `appending` set the flag above a member's raw value.
            return .key(Member(rawValue: UInt8(truncatingIfNeeded: bits))!.key.description)
        }
    }
}
