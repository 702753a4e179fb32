/// What decoding keeps of a valid payload: `Decoding` keeps all of it (the typed `Payload`),
/// `Checking` only the ingress's answer (a `PayloadVerdict`). The validators run every check
/// whichever the shape; a shape decides only what the checked values become, and its `build`
/// closures cannot throw, so no check can hide in a part one shape skips.
protocol PayloadShape {
    /// What is kept of a touch object (V3 `attributes`, V2 `attribution.original`/`current`).
    associatedtype Touch
    /// What is kept of the session context ids.
    associatedtype Context
    /// What is kept of one V3 action, and of a payload's actions.
    associatedtype Action
    associatedtype Actions
    associatedtype Output

    /// Reads (and checks) a touch object.
    static func touch(_ object: ObjectReader) throws(PayloadError) -> Touch
    /// Reads (and checks) the session context ids of a V3 `attributes` or V2 payload object.
    static func context(_ object: ObjectReader) throws(PayloadError) -> Context
    /// What is kept of a decoded action, and how kept actions accumulate, in order. Actions are
    /// taken `consuming`: borrowed, each would be copied into the array, a retain per text.
    static func action(_ action: consuming V3Action) -> Action
    static func actions(capacity: Int) -> Actions
    static func append(_ action: consuming Action, to actions: inout Actions)

    /// The output of a checked payload; `build` makes the typed payload from the parts a
    /// decoding shape kept, and is not called by a shape that keeps less.
    static func v3(
        checkpoint: Int64, actions: Actions, touch: Touch?, context: Context?,
        _ build: ([V3Action], Payloads.Touch?, SessionContext?) -> V3SessionPayload
    ) -> Output
    static func v2(
        original: Touch?, current: Touch?, context: Context,
        _ build: (Payloads.Touch?, Payloads.Touch?, SessionContext) -> V2SessionContext
    ) -> Output
    static func v1(_ build: () -> V1Event) -> Output
}

/// Keeps everything: `PayloadValidator.validate`.
enum Decoding: PayloadShape {
    static func touch(_ object: ObjectReader) throws(PayloadError) -> Payloads.Touch { try object.touch() }
    static func context(_ object: ObjectReader) throws(PayloadError) -> SessionContext { try object.sessionContext() }
    static func action(_ action: consuming V3Action) -> V3Action { action }
    static func actions(capacity: Int) -> [V3Action] {
        var actions = [V3Action]()
        actions.reserveCapacity(capacity)
        return actions
    }
    static func append(_ action: consuming V3Action, to actions: inout [V3Action]) { actions.append(action) }

    static func v3(
        checkpoint: Int64, actions: [V3Action], touch: Payloads.Touch?, context: SessionContext?,
        _ build: ([V3Action], Payloads.Touch?, SessionContext?) -> V3SessionPayload
    ) -> Payload {
        .v3(build(actions, touch, context))
    }

    static func v2(
        original: Payloads.Touch?, current: Payloads.Touch?, context: SessionContext,
        _ build: (Payloads.Touch?, Payloads.Touch?, SessionContext) -> V2SessionContext
    ) -> Payload {
        .v2(build(original, current, context))
    }

    static func v1(_ build: () -> V1Event) -> Payload { .v1(build()) }
}

/// Keeps the verdict: `PayloadValidator.check`. Of a V3 payload's actions it keeps how many lead
/// that are final (`FinalPrefix`), of the rest nothing. Skipping the structs (and the copies of
/// their texts) checks 414-byte V2 payloads at ~170 MB/s where decoding them runs at ~140
/// (docs/measurements.md, session 12).
enum Checking: PayloadShape {
    static func touch(_ object: ObjectReader) throws(PayloadError) { _ = try object.touch(keeping: false) }
    static func context(_ object: ObjectReader) throws(PayloadError) { _ = try object.sessionContext(keeping: false) }
    static func action(_ action: consuming V3Action) -> Bool { action.isFinal }
    static func actions(capacity: Int) -> FinalPrefix { FinalPrefix() }
    static func append(_ isFinal: consuming Bool, to prefix: inout FinalPrefix) { prefix.add(isFinal: isFinal) }

    static func v3(
        checkpoint: Int64, actions: FinalPrefix, touch: Void?, context: Void?,
        _ build: ([V3Action], Payloads.Touch?, SessionContext?) -> V3SessionPayload
    ) -> PayloadVerdict {
        PayloadVerdict(version: .v3, acknowledgedCheckpoint: checkpoint + actions.count)
    }

    static func v2(
        original: Void?, current: Void?, context: Void, _ build: (Payloads.Touch?, Payloads.Touch?, SessionContext) -> V2SessionContext
    ) -> PayloadVerdict {
        PayloadVerdict(version: .v2, acknowledgedCheckpoint: nil)
    }

    static func v1(_ build: () -> V1Event) -> PayloadVerdict { PayloadVerdict(version: .v1, acknowledgedCheckpoint: nil) }
}
