import Foundation

/// A strict I-JSON (RFC 7493) parser: UTF-8 without byte-order mark, no duplicate member names, no
/// lone surrogate escapes, numbers finite as doubles, nesting at most `depthMax` (the top level
/// counting as 1). Errors carry the SPEC §1.4 code and the path of the offending value.
///
/// Texts simdjson accepts take its fast path (`SimdJSONTape`); everything else, and so every
/// error, comes from the reference parser below. Stateless; safe from any thread. See
/// docs/decisions/0002-payload-parser.md and 0005-simdjson-fast-path.md.
public enum JSONParser {
    public static let depthMaxDefault = 32

    public static func parse(_ bytes: ArraySlice<UInt8>, depthMax: Int = depthMaxDefault) throws(PayloadError) -> JSONDocument {
        try withTape(bytes, depthMax: depthMax) { JSONDocument(copying: $0) }
    }

    /// Parses `bytes` and calls `body` with the document borrowed: on the fast path simdjson's
    /// own tape, read in place without a copy. The tape is valid only during `body`, which must
    /// not parse again on this thread (that would reuse the thread's simdjson buffers).
    static func withTape<R>(_ bytes: ArraySlice<UInt8>, depthMax: Int, _ body: (JSONTape) throws(PayloadError) -> R) throws(PayloadError) -> R {
        if let result = try SimdJSONTape.withTape(bytes, depthMax: depthMax, body) { return result }
        return try parseReference(Array(bytes), depthMax: depthMax).withTape(body)
    }

    /// The reference parser alone: one pass in Swift with exact verdicts and paths.
    static func parseReference(_ bytes: [UInt8], depthMax: Int = depthMaxDefault) throws(PayloadError) -> JSONDocument {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            throw PayloadError(.invalidJSON, "a byte-order mark is not allowed (RFC 7493)")
        }
        if let bad = UTF8Validation.firstInvalidByte(bytes) {
            throw PayloadError(.invalidUTF8, "byte \(bad) is not valid UTF-8")
        }
        // The closure only calls a function that owns its state: mutating captured variables
        // inside it would box them and check exclusivity dynamically on every word.
        return try bytes.withUnsafeBufferPointer { (buffer) throws(PayloadError) in
            try parseTape(buffer, depthMax: depthMax)
        }
    }

    private static func parseTape(_ buffer: UnsafeBufferPointer<UInt8>, depthMax: Int) throws(PayloadError) -> JSONDocument {
        var state = State(depthMax: depthMax)
        state.tape.reserveCapacity(buffer.count / 4 + 4)
        state.strings.reserveCapacity(buffer.count + 16)
        state.tape.append(0)
        var position = 0
        do throws(Failure) {
            try state.skipSpace(buffer, &position)
            try state.value(buffer, &position, depth: 1)
            try state.skipSpace(buffer, &position)
        } catch let failure {
            throw PayloadError(failure.code, path: PathComponent.render(failure.path.reversed()), failure.message)
        }
        guard position == buffer.count else {
            throw PayloadError(.invalidJSON, "unexpected bytes after the JSON value at byte \(position)")
        }
        // The root words, as simdjson writes them: the first holds the tape's length.
        state.tape.append(State.word("r"))
        state.tape[0] = State.word("r") | UInt64(state.tape.count)
        return JSONDocument(tape: state.tape, strings: state.strings)
    }

    /// An error on its way out of the recursion; each level adds its path component.
    struct Failure: Error {
        var code: PayloadError.Code
        var message: String
        var path: [PathComponent] = []
    }

    /// Writes simdjson's tape format (see `JSONDocument.tape`), numbers always as doubles.
    private struct State {
        let depthMax: Int
        var tape: [UInt64] = []
        var strings: [UInt8] = []

        init(depthMax: Int) { self.depthMax = depthMax }

        static func word(_ tag: Unicode.Scalar, _ payload: Int = 0) -> UInt64 {
            UInt64(tag.value) << 56 | UInt64(payload)
        }

        /// The decoded text of the member name at tape index `node`.
        func name(_ node: Int) -> String {
            String(decoding: strings[JSONDocument.stringRange(tape[node], strings)], as: UTF8.self)
        }

        func syntax(_ message: String, _ position: Int) -> Failure {
            Failure(code: .invalidJSON, message: message + " at byte \(position)")
        }

        func skipSpace(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int) throws(Failure) {
            while p < b.count {
                switch b[p] {
                case 0x20, 0x0A, 0x0D, 0x09: p += 1
                default: return
                }
            }
        }

        mutating func value(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int, depth: Int) throws(Failure) {
            guard p < b.count else { throw syntax("unexpected end of input", p) }
            switch b[p] {
            case UInt8(ascii: "{"): try object(b, &p, depth: depth)
            case UInt8(ascii: "["): try array(b, &p, depth: depth)
            case UInt8(ascii: "\""): try string(b, &p)
            case UInt8(ascii: "t"): try literal(b, &p, "true", "t")
            case UInt8(ascii: "f"): try literal(b, &p, "false", "f")
            case UInt8(ascii: "n"): try literal(b, &p, "null", "n")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number(b, &p)
            default: throw syntax("unexpected character", p)
            }
        }

        mutating func literal(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int, _ text: StaticString, _ tag: Unicode.Scalar) throws(Failure) {
            let count = text.utf8CodeUnitCount
            guard p + count <= b.count, memcmp(b.baseAddress! + p, text.utf8Start, count) == 0 else {
                throw syntax("invalid literal", p)
            }
            tape.append(Self.word(tag))
            p += count
        }

        /// Opens the container whose bracket is at `p`: checks the depth, reserves the container's
        /// tape word and consumes the bracket and the space after it. Returns the word's index and
        /// whether the container is empty (its `close` then consumed too).
        mutating func open(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int, depth: Int, close: Unicode.Scalar) throws(Failure) -> (index: Int, empty: Bool) {
            guard depth <= depthMax else {
                throw Failure(code: .tooDeep, message: "nesting deeper than \(depthMax) levels")
            }
            let index = tape.count
            tape.append(0)
            p += 1
            try skipSpace(b, &p)
            guard p < b.count && b[p] == UInt8(ascii: close) else { return (index, false) }
            p += 1
            return (index, true)
        }

        /// After a member or element: consumes `,` and the space after it (true: another one
        /// follows) or the container's `close` (false).
        func another(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int, close: Unicode.Scalar, container: String) throws(Failure) -> Bool {
            try skipSpace(b, &p)
            guard p < b.count else { throw syntax("unterminated \(container)", p) }
            if b[p] == UInt8(ascii: ",") {
                p += 1
                try skipSpace(b, &p)
                return true
            }
            guard b[p] == UInt8(ascii: close) else { throw syntax("expected ',' or '\(close)'", p) }
            p += 1
            return false
        }

        /// Closes the container opened at tape index `open` with `count` members or elements.
        mutating func close(_ open: Int, _ openTag: Unicode.Scalar, _ closeTag: Unicode.Scalar, count: Int) {
            tape.append(Self.word(closeTag, open))
            tape[open] = Self.word(openTag, min(count, JSONDocument.countMax) << 32 | tape.count)
        }

        mutating func object(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int, depth: Int) throws(Failure) {
            let (index, empty) = try open(b, &p, depth: depth, close: "}")
            var members = 0
            var more = !empty
            while more {
                guard p < b.count, b[p] == UInt8(ascii: "\"") else { throw syntax("expected a member name", p) }
                let keyNode = tape.count
                try string(b, &p)
                try skipSpace(b, &p)
                guard p < b.count, b[p] == UInt8(ascii: ":") else { throw syntax("expected ':'", p) }
                p += 1
                try skipSpace(b, &p)
                do {
                    try value(b, &p, depth: depth + 1)
                } catch var failure {
                    failure.path.append(.key(name(keyNode)))
                    throw failure
                }
                members += 1
                more = try another(b, &p, close: "}", container: "object")
            }
            close(index, "{", "}", count: members)
            let duplicate = tape.withUnsafeMutableBufferPointer { tape in
                strings.withUnsafeBufferPointer { MemberTable.shared.resolve(tape, $0, object: index) }
            }
            if let duplicate {
                throw Failure(code: .invalidJSON, message: "duplicate member name \(PayloadError.quoted(name(duplicate))) (RFC 7493 forbids them)")
            }
        }

        mutating func array(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int, depth: Int) throws(Failure) {
            let (index, empty) = try open(b, &p, depth: depth, close: "]")
            var elements = 0
            var more = !empty
            while more {
                do {
                    try value(b, &p, depth: depth + 1)
                } catch var failure {
                    failure.path.append(.index(elements))
                    throw failure
                }
                elements += 1
                more = try another(b, &p, close: "]", container: "array")
            }
            close(index, "[", "]", count: elements)
        }

        mutating func string(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int) throws(Failure) {
            let start = p + 1
            var i = start
            var escaped = false
            while true {
                // 8 bytes at a time while none is '"', '\\' or a control character (SWAR).
                while i + 8 <= b.count {
                    let word = UnsafeRawPointer(b.baseAddress! + i).loadUnaligned(as: UInt64.self)
                    let quote = word ^ 0x2222_2222_2222_2222
                    let backslash = word ^ 0x5C5C_5C5C_5C5C_5C5C
                    let low = 0x0101_0101_0101_0101 as UInt64
                    let high = 0x8080_8080_8080_8080 as UInt64
                    let special = ((quote &- low) & ~quote | (backslash &- low) & ~backslash | (word &- 0x2020_2020_2020_2020) & ~word) & high
                    if special != 0 { break }
                    i += 8
                }
                guard i < b.count else { throw syntax("unterminated string", start - 1) }
                let c = b[i]
                if c == UInt8(ascii: "\"") { break }
                if c < 0x20 { throw syntax("control character in a string", i) }
                if c == UInt8(ascii: "\\") {
                    escaped = true
                    guard i + 1 < b.count else { throw syntax("unterminated escape", i) }
                    switch b[i + 1] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                        UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        i += 2
                    case UInt8(ascii: "u"):
                        guard let unit = Self.hex4(b, i + 2) else { throw syntax("invalid \\u escape", i) }
                        i += 6
                        if unit >= 0xD800 && unit <= 0xDBFF {
                            guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u"),
                                let low = Self.hex4(b, i + 2), low >= 0xDC00 && low <= 0xDFFF
                            else { throw syntax("lone surrogate escape \\u\(String(unit, radix: 16))", i - 6) }
                            i += 6
                        } else if unit >= 0xDC00 && unit <= 0xDFFF {
                            throw syntax("lone surrogate escape \\u\(String(unit, radix: 16))", i - 6)
                        }
                    default:
                        throw syntax("invalid escape", i)
                    }
                } else {
                    i += 1
                }
            }
            let raw = UnsafeBufferPointer(rebasing: b[start..<i])
            let text = escaped ? JSONParser.unescape(raw) : Array(raw)
            tape.append(Self.word("\"", strings.count))
            withUnsafeBytes(of: UInt32(text.count).littleEndian) { strings += $0 }
            strings += text
            strings.append(0)
            p = i + 1
        }

        mutating func number(_ b: UnsafeBufferPointer<UInt8>, _ p: inout Int) throws(Failure) {
            let start = p
            var i = p
            if b[i] == UInt8(ascii: "-") { i += 1 }
            func digit(_ i: Int) -> Bool { i < b.count && b[i] >= 0x30 && b[i] <= 0x39 }
            guard digit(i) else { throw syntax("invalid number", start) }
            var mantissa: UInt64 = 0
            var digits = 0
            if b[i] == UInt8(ascii: "0") {
                i += 1
                guard !digit(i) else { throw syntax("leading zero in a number", start) }
                digits = 1
            } else {
                while digit(i) {
                    mantissa = mantissa &* 10 &+ UInt64(b[i] - 0x30)
                    digits += 1
                    i += 1
                }
            }
            var simple = true
            if i < b.count && b[i] == UInt8(ascii: ".") {
                simple = false
                i += 1
                guard digit(i) else { throw syntax("digit expected after '.'", i) }
                while digit(i) { i += 1 }
            }
            if i < b.count && (b[i] | 0x20) == UInt8(ascii: "e") {
                simple = false
                i += 1
                if i < b.count && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) { i += 1 }
                guard digit(i) else { throw syntax("digit expected in exponent", i) }
                while digit(i) { i += 1 }
            }
            var value: Double
            if simple && digits <= 15 {
                value = Double(mantissa)
                // "-0" is 0, as in simdjson's tape (SimdJSONTape), so both paths decode alike.
                if b[start] == UInt8(ascii: "-") && mantissa != 0 { value = -value }
            } else {
                value = Self.strtod(b, start, i)
                guard value.isFinite else {
                    throw Failure(code: .outOfRange, message: "number \(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)) is not a finite double")
                }
            }
            tape.append(Self.word("d"))
            tape.append(value.bitPattern)
            p = i
        }

        static func strtod(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double {
            var text = [CChar](repeating: 0, count: end - start + 1)
            for k in start..<end { text[k - start] = CChar(bitPattern: b[k]) }
            return Foundation.strtod(text, nil)
        }

        static func hex4(_ b: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32? {
            guard at + 4 <= b.count else { return nil }
            var value: UInt32 = 0
            for k in at..<at + 4 {
                let c = b[k]
                let v: UInt8
                switch c {
                case 0x30...0x39: v = c - 0x30
                case 0x41...0x46: v = c - 0x41 + 10
                case 0x61...0x66: v = c - 0x61 + 10
                default: return nil
                }
                value = value << 4 | UInt32(v)
            }
            return value
        }

    }

    /// Decodes the escapes of a string's raw bytes (already validated by the parser).
    static func unescape(_ raw: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(raw.count)
        var i = raw.startIndex
        func hex(_ at: Int) -> UInt32 {
            var v: UInt32 = 0
            for k in at..<at + 4 {
                let c = raw[k]
                v = v << 4 | UInt32(c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10)
            }
            return v
        }
        while i < raw.endIndex {
            let c = raw[i]
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                i += 1
                continue
            }
            let e = raw[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex(i)
                i += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (hex(i + 2) - 0xDC00)
                    i += 6
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
            default: out.append(e)
            }
        }
        return out
    }
}
