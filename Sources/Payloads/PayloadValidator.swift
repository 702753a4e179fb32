/// Limits the validator enforces beyond the schemas.
public struct PayloadLimits: Sendable {
    /// Largest payload in bytes (`--max-body`, default 1 MiB).
    public var bodyBytesMax = 1 << 20
    /// Deepest nesting; the top-level object counts as 1.
    public var depthMax = JSONParser.depthMaxDefault
    public static let actionsMax = 1000

    public init(bodyBytesMax: Int = 1 << 20) { self.bodyBytesMax = bodyBytesMax }
}

/// Validates and decodes raw payload bytes per SPEC §1: I-JSON, the version's schema (the same
/// rules as `Schemas/*.schema.json`), and the limits schemas cannot state. Unknown members are ignored.
///
/// Stateless; safe from any thread.
///
/// ```swift
/// switch Result(catching: { try PayloadValidator.validate(body, route: .v3) }) { … }
/// ```
public enum PayloadValidator {
    /// `route` is the version the endpoint implies; nil lets the payload's own `v` choose
    /// (`import`, `/batch`), which then must be 1, 2 or 3.
    public static func validate(_ bytes: ArraySlice<UInt8>, route: PayloadVersion?, limits: PayloadLimits = PayloadLimits())
        throws(PayloadError) -> Payload
    {
        try decode(bytes, route: route, limits: limits, shape: Decoding.self) { _ throws(PayloadError) in () }.output
    }

    public static func validate(_ bytes: [UInt8], route: PayloadVersion?, limits: PayloadLimits = PayloadLimits())
        throws(PayloadError) -> Payload
    {
        return try validate(bytes[...], route: route, limits: limits)
    }

    /// A `/batch` line: validated by its own `v`, with its optional top-level `idempotency_key`
    /// (a string of 1–1024 characters).
    public static func validateBatchLine(_ bytes: [UInt8], limits: PayloadLimits = PayloadLimits())
        throws(PayloadError) -> (payload: Payload, idempotencyKey: String?)
    {
        let (payload, key) = try decode(bytes[...], route: nil, limits: limits, shape: Decoding.self, extra: idempotencyKey)
        return (payload, key)
    }

    /// Every check of `validate`, the same verdict and the same errors, keeping only what the
    /// ingress answers with: for V1 and V2 nothing is decoded beyond what the checks read.
    public static func check(_ bytes: ArraySlice<UInt8>, route: PayloadVersion?, limits: PayloadLimits = PayloadLimits())
        throws(PayloadError) -> PayloadVerdict
    {
        try decode(bytes, route: route, limits: limits, shape: Checking.self) { _ throws(PayloadError) in () }.output
    }

    /// `validateBatchLine`'s checks, keeping only the verdict and the idempotency key.
    public static func checkBatchLine(_ bytes: ArraySlice<UInt8>, limits: PayloadLimits = PayloadLimits())
        throws(PayloadError) -> (verdict: PayloadVerdict, idempotencyKey: String?)
    {
        let (verdict, key) = try decode(bytes, route: nil, limits: limits, shape: Checking.self, extra: idempotencyKey)
        return (verdict, key)
    }

    private static func idempotencyKey(_ object: ObjectReader) throws(PayloadError) -> String? {
        try object.string(
            .idempotencyKey, lengthMax: idempotencyKeyCharacters.upperBound, lengthMin: idempotencyKeyCharacters.lowerBound)?.string
    }

    /// How many characters (code points) an idempotency key may have, as a `/batch` line's
    /// `idempotency_key` or an `Idempotency-Key` header. SPEC §2 sets no bound; this one bounds
    /// what a request head and every record carry.
    public static let idempotencyKeyCharacters = 1...1024

    /// The rejection of an `Idempotency-Key` header outside `idempotencyKeyCharacters`, nil when
    /// it is within.
    public static func idempotencyKeyHeaderError(_ key: String) -> PayloadError? {
        let count = key.unicodeScalars.count
        guard !idempotencyKeyCharacters.contains(count) else { return nil }
        return PayloadError(
            .outOfRange,
            "Idempotency-Key header: length \(count) is outside \(idempotencyKeyCharacters.lowerBound)…\(idempotencyKeyCharacters.upperBound) characters")
    }

    /// What `shape` keeps of the payload, and what `extra` reads from its top-level object.
    private static func decode<Shape: PayloadShape, Extra>(
        _ bytes: ArraySlice<UInt8>, route: PayloadVersion?, limits: PayloadLimits, shape: Shape.Type,
        extra: (ObjectReader) throws(PayloadError) -> Extra
    ) throws(PayloadError) -> (output: Shape.Output, extra: Extra) {
        guard bytes.count <= limits.bodyBytesMax else {
            throw PayloadError(.tooLarge, "payload of \(bytes.count) bytes exceeds the limit of \(limits.bodyBytesMax)")
        }
        return try JSONParser.withTape(bytes, depthMax: limits.depthMax) { (document) throws(PayloadError) in
            guard document.kind(document.root) == .object else {
                throw PayloadError(.wrongType, "a payload is a JSON object, found \(document.kind(document.root).name)")
            }
            return try ObjectReader.readRoot(document) { (object) throws(PayloadError) in
                let output: Shape.Output =
                    switch try self.version(object, route: route) {
                    case .v3: try v3(object, shape)
                    case .v2: try v2(object, shape)
                    case .v1: try v1(object, shape)
                    }
                return (output, try extra(object))
            }
        }
    }

    private static func version(_ object: ObjectReader, route: PayloadVersion?) throws(PayloadError) -> PayloadVersion {
        guard let node = object.node(.v) else {
            if let route { return route }
            throw PayloadError(.missingField, path: "v", member: "v", "is required (1, 2 or 3) when the route does not imply it")
        }
        guard object.document.kind(node) == .number, object.document.number(node).rounded(.towardZero) == object.document.number(node)
        else { throw PayloadError(.wrongType, path: "v", member: "v", "expected an integer") }
        let value = object.document.number(node)
        if let route {
            guard value == Double(route.rawValue) else {
                throw PayloadError(.versionMismatch, path: "v", member: "v", "\(ObjectReader.format(value)) does not match this route's version \(route.rawValue)")
            }
            return route
        }
        guard let version = PayloadVersion(rawValue: UInt8(exactly: value) ?? 0) else {
            throw PayloadError(.invalidValue, path: "v", member: "v", "must be 1, 2 or 3, not \(ObjectReader.format(value))")
        }
        return version
    }

    // MARK: V3

    static func v3<Shape: PayloadShape>(_ o: ObjectReader, _: Shape.Type) throws(PayloadError) -> Shape.Output {
        let sessionID = try o.requiredID(.sessionID)
        let userID = try o.requiredID(.userID)
        let siteID = try o.requiredID(.siteID)
        let sentAt = try o.requiredTime(.sentAt)
        let checkpoint = try o.integer(.checkpoint, in: 0...(ObjectReader.timeMax - 1)) ?? 0
        let attributes = try o.objectNode(.attributes)
        let actionsNode = try o.required(.actions)
        try o.expect(.array, actionsNode, .actions)
        let count = o.document.count(actionsNode)
        guard count <= PayloadLimits.actionsMax else {
            throw PayloadError(.tooManyActions, path: "actions", member: "actions", "\(count) items; at most \(PayloadLimits.actionsMax) per payload")
        }
        var actions = Shape.actions(capacity: count)
        let actionsPath = o.path.appending(.member(.actions))
        var node = actionsNode + 1
        for index in 0..<count {
            Shape.append(try o.read(node, at: actionsPath.appending(.index(index))) { (a) throws(PayloadError) in Shape.action(try action(a)) }, to: &actions)
            node = o.document.next(node)
        }
        let (touch, context) =
            try attributes.map { (node) throws(PayloadError) in
                try o.object(.attributes, at: node) { (a) throws(PayloadError) in (try Shape.touch(a), try Shape.context(a)) }
            } ?? (nil, nil)
        return Shape.v3(checkpoint: checkpoint, actions: actions, touch: touch, context: context) { (actions, touch, context) in
            V3SessionPayload(
                sessionID: sessionID, userID: userID, siteID: siteID, sentAtMs: sentAt, checkpoint: checkpoint, touch: touch ?? Touch(),
                context: context ?? SessionContext(), actions: actions)
        }
    }

    /// Inlined into each shape's loop, where `Checking` keeps only `isFinal`: +6% for V3 checks
    /// (docs/measurements.md, session 35).
    @inline(__always) private static func action(_ a: ObjectReader) throws(PayloadError) -> V3Action {
        let typeNode = try a.required(.type)
        try a.expect(.string, typeNode, .type)
        let pageNumber = { () throws(PayloadError) -> Int in Int(try a.integer(.pageNumber, required: true, in: 1...65535)!) }
        if a.document.string(typeNode, equals: "pageview") {
            let path = try a.requiredString(.path, lengthMax: 2048, lengthMin: 1)
            guard path.firstByte == UInt8(ascii: "/") else { throw a.error(.invalidValue, .path, "must start with /") }
            return .pageview(
                PageView(
                    pageNumber: try pageNumber(), path: path, url: try a.string(.url, lengthMax: 8192),
                    title: try a.string(.title), enteredAtMs: try a.requiredTime(.enteredAt),
                    durationMs: try a.integer(.durationMs, in: 0...604_800_000) ?? 0,
                    scroll: try a.integer(.scroll, in: 0...100).map { Int($0) }, final: try a.bool(.`final`) ?? false))
        }
        if a.document.string(typeNode, equals: "goal") {
            return .goal(
                Goal(
                    pageNumber: try pageNumber(), name: try a.requiredString(.name, lengthMax: 128, lengthMin: 1),
                    atMs: try a.requiredTime(.at), value: try a.number(.value) ?? 0))
        }
        throw a.error(.unknownActionType, .type, "unknown action type \(PayloadError.quoted(a.document.string(typeNode))) (pageview or goal)")
    }

    // MARK: V2

    private static let v2Kinds = V2SessionContext.Kind.allCases

    static func v2<Shape: PayloadShape>(_ o: ObjectReader, _: Shape.Type) throws(PayloadError) -> Shape.Output {
        let kindNode = try o.required(.kind)
        try o.expect(.string, kindNode, .kind)
        guard let kind = o.document.string(kindNode, among: v2Kinds) else {
            throw o.error(.invalidValue, .kind, "\(PayloadError.quoted(o.document.string(kindNode))) must be start or renew")
        }
        let sessionID = try o.requiredID(.sessionID)
        var oldSessionID: PayloadText?
        if kind == .renew {
            oldSessionID = try o.requiredID(.oldSessionID, when: "kind is renew")
            guard oldSessionID != sessionID else {
                throw o.error(.invalidValue, .oldSessionID, "a session cannot renew itself")
            }
        }
        let startedAt = try o.requiredTime(.startedAt)
        let expiresAt = try o.time(.expiresAt)
        if let expiresAt, expiresAt < startedAt {
            throw o.error(.outOfRange, .expiresAt, "\(expiresAt) is before started_at \(startedAt)")
        }
        let attribution = try o.objectNode(.attribution)
        let userID = try o.requiredID(.userID)
        let siteID = try o.requiredID(.siteID)
        let context = try Shape.context(o)
        let (original, current) =
            try attribution.map { (node) throws(PayloadError) in
                try o.object(.attribution, at: node) { (a) throws(PayloadError) in
                    (try a.object(.original, Shape.touch), try a.object(.current, Shape.touch))
                }
            } ?? (nil, nil)
        return Shape.v2(original: original, current: current, context: context) { (original, current, context) in
            V2SessionContext(
                kind: kind, sessionID: sessionID, userID: userID, siteID: siteID, oldSessionID: oldSessionID, startedAtMs: startedAt,
                expiresAtMs: expiresAt, context: context, original: original, current: current)
        }
    }

    // MARK: V1

    static func v1<Shape: PayloadShape>(_ o: ObjectReader, _: Shape.Type) throws(PayloadError) -> Shape.Output {
        let eventID = try o.requiredID(.eventID)
        let typeNode = try o.required(.eventType)
        try o.expect(.string, typeNode, .eventType)
        guard let eventType = o.document.string(typeNode, among: v1EventTypes) else {
            throw o.error(
                .unknownEventType, .eventType,
                "unknown event type \(PayloadError.quoted(o.document.string(typeNode))) (pageview, click, scroll, form_submit, conversion)")
        }
        let timestampNode = try o.required(.timestamp)
        try o.expect(.string, timestampNode, .timestamp)
        guard let timestamp = RFC3339.milliseconds(o.document.stringBytes(timestampNode)) else {
            throw o.error(
                .invalidTimestamp, .timestamp,
                "\(PayloadError.quoted(o.document.string(timestampNode))) is not an RFC 3339 date-time such as 2025-06-03T10:15:00.250Z (a valid date and time, with Z or an offset)")
        }
        var eventValue: V1Event.Value?
        if let node = o.node(.eventValue) {
            switch o.document.kind(node) {
            case .number: eventValue = .number(o.document.number(node))
            case .string: eventValue = .string(try o.string(.eventValue)!)
            default: throw o.error(.wrongType, .eventValue, "expected a string or a number")
            }
        }
        if let node = o.node(.metadata) {
            switch o.document.kind(node) {
            case .string: _ = try o.string(.metadata)
            case .object: break
            default: throw o.error(.wrongType, .metadata, "expected a string or an object")
            }
        }
        for member in v1CheckedStrings { _ = try o.string(member) }
        // Every check runs before the shape builds (or skips) the event.
        let sessionID = try o.requiredID(.sessionID)
        let userID = try o.requiredID(.userID)
        let projectID = try o.requiredID(.projectID)
        let pageURL = try o.requiredString(.pageURL, lengthMax: 8192)
        let referrerURL = try o.string(.referrerURL, lengthMax: 8192)
        let sequence = try o.integer(.sessionEventSequence, required: true, in: 1...(ObjectReader.timeMax - 1))!
        let scrollPercentage = try o.number(.scrollPercentage, in: 0...100)
        let timeOnPage = try o.number(.timeOnPage, in: 0...Double.greatestFiniteMagnitude)
        let context = try v1Context(o)
        return Shape.v1 {
            V1Event(
                eventID: eventID, eventType: eventType, timestampMs: timestamp, sessionID: sessionID, userID: userID, projectID: projectID,
                pageURL: pageURL, referrerURL: referrerURL, sessionEventSequence: sequence, scrollPercentage: scrollPercentage,
                timeOnPage: timeOnPage, eventValue: eventValue, context: context)
        }
    }

    private static let v1EventTypes = V1Event.EventType.allCases

    /// V1 members checked to be strings (within the default length) and not otherwise read.
    private static let v1CheckedStrings: [Member] = [.eventValueType, .workspaceID, .attributionID, .environment]

    /// V1 has no segment_id (the bug the V3 change fixed); its other context ids are read.
    private static func v1Context(_ o: ObjectReader) throws(PayloadError) -> SessionContext {
        var context = SessionContext()
        context.abTestID = try o.string(.abTestID)
        context.abTestVariantID = try o.string(.abTestVariantID)
        context.campaignID = try o.string(.campaignID)
        context.landingPageID = try o.string(.landingPageID)
        return context
    }
}
