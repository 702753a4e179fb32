/// What decoding keeps of a valid payload: `Decoding` keeps all of it (the typed `Payload`),
/// `Checking` only the ingress's answer (a `PayloadVerdict`). The validators run every check
/// whichever the shape; a shape decides only what the checked values become, and its `build`
/// closures cannot throw, so no check can hide in a part one shape skips.
protocol PayloadShape {
    /// What is kept of a touch object (V2 `attribution.original`/`current`).
    associatedtype Touch
    associatedtype Output

    /// Reads (and checks) a touch object.
    static func touch(_ object: ObjectReader) throws(PayloadError) -> Touch
    /// V3's verdict needs its actions, so a V3 payload is always decoded whole.
    static func v3(_ payload: V3SessionPayload) -> Output
    static func v2(original: Touch?, current: Touch?, _ build: (Payloads.Touch?, Payloads.Touch?) -> V2SessionContext) -> Output
    static func v1(_ build: () -> V1Event) -> Output
}

/// Keeps everything: `PayloadValidator.validate`.
enum Decoding: PayloadShape {
    static func touch(_ object: ObjectReader) throws(PayloadError) -> Payloads.Touch { try object.touch() }
    static func v3(_ payload: V3SessionPayload) -> Payload { .v3(payload) }

    static func v2(original: Payloads.Touch?, current: Payloads.Touch?, _ build: (Payloads.Touch?, Payloads.Touch?) -> V2SessionContext) -> Payload {
        .v2(build(original, current))
    }

    static func v1(_ build: () -> V1Event) -> Payload { .v1(build()) }
}

/// Keeps the verdict: `PayloadValidator.check`. Skipping the V1 and V2 structs (and the copies
/// of their texts) checks 414-byte V2 payloads at ~170 MB/s where decoding them runs at ~140
/// (docs/measurements.md, session 12).
enum Checking: PayloadShape {
    static func touch(_ object: ObjectReader) throws(PayloadError) { _ = try object.touch() }
    static func v3(_ payload: V3SessionPayload) -> PayloadVerdict { PayloadVerdict(version: .v3, acknowledgedCheckpoint: payload.acknowledgedCheckpoint) }
    static func v2(original: Void?, current: Void?, _ build: (Payloads.Touch?, Payloads.Touch?) -> V2SessionContext) -> PayloadVerdict {
        PayloadVerdict(version: .v2, acknowledgedCheckpoint: nil)
    }
    static func v1(_ build: () -> V1Event) -> PayloadVerdict { PayloadVerdict(version: .v1, acknowledgedCheckpoint: nil) }
}
