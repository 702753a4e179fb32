/// The bytes a projector stores for a session's fold between batches (`_session_state.state`).
/// Private to a projection database: written and read by the same build, so a format change
/// bumps `formatVersion` and a mismatch asks for a rebuild rather than guessing.
///
/// Layout: `formatVersion` u8, then the fields of `SessionState` in declaration order; integers
/// are zig-zag LEB128 varints, doubles 8 bytes little-endian, strings a varint length + UTF-8,
/// optionals a presence byte first.
public enum SessionStateCodec {
    public static let formatVersion: UInt8 = 1

    public static func encode(_ state: SessionState) -> [UInt8] {
        var out = StateWriter()
        out.bytes.reserveCapacity(256)
        out.bytes.append(formatVersion)
        out.string(state.siteID)
        out.string(state.userID)
        for value in state.context { out.optional(value) }
        out.optional(state.renewedFrom)
        out.touch(state.touchV2V3)
        out.touch(state.originalTouch)
        out.bool(state.touchV1 != nil)
        if let touch = state.touchV1 { out.touch(touch) }
        out.int(Int64(state.pagesV3.count))
        for page in state.pagesV3.values.sorted(by: { $0.pageNumber < $1.pageNumber }) {
            out.int(Int64(page.pageNumber))
            out.string(page.path)
            out.optional(page.url)
            out.optional(page.title)
            out.int(page.enteredAtMs)
            out.optional(page.durationMs)
            out.optional(page.scroll)
            out.int(page.version)
        }
        out.int(Int64(state.pagesV1.count))
        for page in state.pagesV1 {
            out.string(page.path)
            out.optional(page.url)
            out.int(page.enteredAtMs)
            out.int(page.version)
            out.optional(page.nextEnteredAtMs)
            out.optional(page.laterEventMaxMs)
            out.optional(page.scrollMax)
        }
        out.int(Int64(state.eventIDsV1.count))
        for id in state.eventIDsV1.sorted() { out.string(id) }
        out.int(Int64(state.goals.count))
        for goal in state.goals.values.sorted(by: SessionSummary.goalOrder) {
            switch goal.token {
            case .v1(let eventID):
                out.bytes.append(1)
                out.string(eventID)
            case .v3(let seq):
                out.bytes.append(3)
                out.int(seq)
            }
            out.int(Int64(goal.pageNumber))
            out.optional(goal.name)
            out.int(goal.atMs)
            out.double(goal.value)
            out.int(goal.order)
        }
        out.optional(state.startedAtV2Min)
        out.optional(state.sentAtV3Min)
        out.optional(state.timeV1Min)
        out.optional(state.timeV1Max)
        return out.bytes
    }

    public static func decode(_ bytes: [UInt8], sessionID: String) throws(StateDecodingError) -> SessionState {
        var input = StateReader(bytes: bytes, sessionID: sessionID)
        guard try input.byte() == formatVersion else {
            throw StateDecodingError(sessionID: sessionID, reason: "state format \(bytes[0]) is not \(formatVersion)")
        }
        let state = SessionState(sessionID: sessionID)
        state.siteID = try input.string()
        state.userID = try input.string()
        for index in state.context.indices { state.context[index] = try input.optionalString() }
        state.renewedFrom = try input.optionalString()
        state.touchV2V3 = try input.touch()
        state.originalTouch = try input.touch()
        if try input.bool() { state.touchV1 = try input.touch() }
        for _ in 0..<(try input.count()) {
            let number = Int(try input.int())
            state.pagesV3[number] = PageRow(
                pageNumber: number, path: try input.string(), url: try input.optionalString(), title: try input.optionalString(),
                enteredAtMs: try input.int(), durationMs: try input.optionalInt(), scroll: try input.optionalDouble(),
                version: try input.int())
        }
        for _ in 0..<(try input.count()) {
            state.pagesV1.append(
                V1Page(
                    path: try input.string(), url: try input.optionalString(), enteredAtMs: try input.int(), version: try input.int(),
                    nextEnteredAtMs: try input.optionalInt(), laterEventMaxMs: try input.optionalInt(),
                    scrollMax: try input.optionalDouble()))
        }
        for _ in 0..<(try input.count()) { state.eventIDsV1.insert(try input.string()) }
        for _ in 0..<(try input.count()) {
            let token: GoalToken
            switch try input.byte() {
            case 1: token = .v1(eventID: try input.string())
            case 3: token = .v3(seq: try input.int())
            case let kind: throw StateDecodingError(sessionID: sessionID, reason: "unknown goal kind \(kind)")
            }
            state.goals[token] = GoalRow(
                token: token, pageNumber: Int(try input.int()), name: try input.optionalString(), atMs: try input.int(),
                value: try input.double(), order: try input.int())
        }
        state.startedAtV2Min = try input.optionalInt()
        state.sentAtV3Min = try input.optionalInt()
        state.timeV1Min = try input.optionalInt()
        state.timeV1Max = try input.optionalInt()
        guard input.isAtEnd else { throw StateDecodingError(sessionID: sessionID, reason: "trailing bytes") }
        return state
    }
}

/// A stored session state that this build cannot read; rebuilding the projection fixes it.
public struct StateDecodingError: Error, Sendable, CustomStringConvertible {
    public var sessionID: String
    public var reason: String
    public var description: String {
        "the stored fold of session \(sessionID) is unreadable (\(reason)); rebuild the projection (sessionlog rebuild NAME)"
    }
}

private struct StateWriter {
    var bytes: [UInt8] = []

    mutating func int(_ value: Int64) {
        var zigzag = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while zigzag >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: zigzag) | 0x80)
            zigzag >>= 7
        }
        bytes.append(UInt8(zigzag))
    }

    mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func double(_ value: Double) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func string(_ value: String) {
        int(Int64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    mutating func optional(_ value: String?) {
        bool(value != nil)
        if let value { string(value) }
    }

    mutating func optional(_ value: Int64?) {
        bool(value != nil)
        if let value { int(value) }
    }

    mutating func optional(_ value: Double?) {
        bool(value != nil)
        if let value { double(value) }
    }

    mutating func touch(_ touch: TouchFields) {
        for value in touch.values { optional(value) }
    }
}

private struct StateReader {
    let bytes: [UInt8]
    let sessionID: String
    var index = 0

    var isAtEnd: Bool { index == bytes.count }

    private func truncated() -> StateDecodingError { StateDecodingError(sessionID: sessionID, reason: "truncated at byte \(index)") }

    mutating func byte() throws(StateDecodingError) -> UInt8 {
        guard index < bytes.count else { throw truncated() }
        index += 1
        return bytes[index - 1]
    }

    mutating func bool() throws(StateDecodingError) -> Bool { try byte() != 0 }

    mutating func int() throws(StateDecodingError) -> Int64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 64 else { throw StateDecodingError(sessionID: sessionID, reason: "varint too long at byte \(index)") }
            result |= UInt64(next & 0x7F) << shift
            if next < 0x80 { break }
            shift += 7
        }
        return Int64(bitPattern: result >> 1) ^ -Int64(bitPattern: result & 1)
    }

    mutating func count() throws(StateDecodingError) -> Int {
        let value = try int()
        guard value >= 0, value <= bytes.count else { throw StateDecodingError(sessionID: sessionID, reason: "bad count \(value)") }
        return Int(value)
    }

    mutating func double() throws(StateDecodingError) -> Double {
        guard index + 8 <= bytes.count else { throw truncated() }
        var bits: UInt64 = 0
        for shift in 0..<8 { bits |= UInt64(bytes[index + shift]) << (8 * UInt64(shift)) }
        index += 8
        return Double(bitPattern: bits)
    }

    mutating func string() throws(StateDecodingError) -> String {
        let length = try count()
        guard index + length <= bytes.count else { throw truncated() }
        defer { index += length }
        return String(decoding: bytes[index..<index + length], as: UTF8.self)
    }

    mutating func optionalString() throws(StateDecodingError) -> String? { try bool() ? try string() : nil }
    mutating func optionalInt() throws(StateDecodingError) -> Int64? { try bool() ? try int() : nil }
    mutating func optionalDouble() throws(StateDecodingError) -> Double? { try bool() ? try double() : nil }

    mutating func touch() throws(StateDecodingError) -> TouchFields {
        var touch = TouchFields()
        for index in touch.values.indices { touch.values[index] = try optionalString() }
        return touch
    }
}
