import CSimdJSON

/// The fast path of `JSONParser.parse`: simdjson parses, and its tape becomes a `JSONDocument`
/// whose string nodes point into a copy of simdjson's (already unescaped) string buffer.
///
/// It only ever accepts: a text simdjson rejects, or one breaking a rule simdjson does not check
/// (duplicate member names, nesting deeper than `depthMax`), yields nil, and the caller parses it
/// with the reference parser, whose verdict and error path are authoritative. Where simdjson
/// accepts, both parsers agree on every value (checked by PayloadsTests' differential test and
/// the fuzzer); see docs/decisions/0005-simdjson-fast-path.md.
enum SimdJSONTape {
    /// simdjson's tape word: the type character in the top byte, a payload in the low 56 bits.
    private static let payloadMask: UInt64 = 0x00FF_FFFF_FFFF_FFFF

    static func document(_ bytes: ArraySlice<UInt8>, depthMax: Int) -> JSONDocument? {
        guard !bytes.isEmpty else { return nil }
        var tape = sl_json_tape()
        let status = bytes.withUnsafeBufferPointer { sl_json_parse($0.baseAddress, $0.count, &tape) }
        guard status == 0, let words = tape.tape, let strings = tape.strings else { return nil }
        // The root word's payload is the tape's length; the last word is the closing root word.
        let last = Int(words[0] & payloadMask) - 1
        let converted = withUnsafeTemporaryAllocation(of: Int32.self, capacity: depthMax) { open in
            nodes(words, last: last, strings: strings, open: open)
        }
        guard let (nodes, stringsEnd) = converted else { return nil }
        let document = JSONDocument(bytes: Array(UnsafeBufferPointer(start: strings, count: stringsEnd)), nodes: nodes)
        let hasDuplicate = document.bytes.withUnsafeBufferPointer { buffer in
            for index in nodes.indices where nodes[index].kind == .object && nodes[index].count > 1 {
                if JSONParser.duplicateKey(nodes, object: index, buffer) != nil { return true }
            }
            return false
        }
        return hasDuplicate ? nil : document
    }

    /// Tape words 1..<last as pre-order nodes, and the end of the used string buffer; nil when
    /// containers nest deeper than `open.count` (the top level counting as 1).
    private static func nodes(
        _ words: UnsafePointer<UInt64>, last: Int, strings: UnsafePointer<UInt8>, open: UnsafeMutableBufferPointer<Int32>
    ) -> (nodes: [JSONDocument.Node], stringsEnd: Int)? {
        var stringsEnd = 0
        var tooDeep = false
        // Every node takes at least one of the `last - 1` words between the two root words.
        let nodes = [JSONDocument.Node](unsafeUninitializedCapacity: max(last - 1, 0)) { buffer, count in
            count = fill(buffer.baseAddress!, words, last: last, strings: strings, open: open, stringsEnd: &stringsEnd)
            if count < 0 {
                tooDeep = true
                count = 0
            }
        }
        return tooDeep ? nil : (nodes, stringsEnd)
    }

    /// Writes the nodes of tape words 1..<last to `out`; returns how many, or -1 when too deep.
    private static func fill(
        _ out: UnsafeMutablePointer<JSONDocument.Node>, _ words: UnsafePointer<UInt64>, last: Int, strings: UnsafePointer<UInt8>,
        open: UnsafeMutableBufferPointer<Int32>, stringsEnd: inout Int
    ) -> Int {
        var count = 0
        var depth = 0
        var i = 1
        @inline(__always) func scalar(_ kind: JSONDocument.Kind, flag: Bool = false, start: Int32 = 0, length: Int32 = 0, number: Double = 0) {
            (out + count).initialize(to: .init(kind: kind, flag: flag, start: start, length: length, count: 0, next: Int32(count + 1), number: number))
            count += 1
        }
        while i < last {
            let word = words[i]
            let payload = word & payloadMask
            switch UInt8(truncatingIfNeeded: word >> 56) {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard depth < open.count else { return -1 }
                open[depth] = Int32(count)
                depth += 1
                // Bits 32–55: members or elements, saturated at 2^24 - 1 (far above any body limit).
                let members = Int32(truncatingIfNeeded: payload >> 32)
                assert(members < 0xFF_FFFF, "container count saturated in simdjson's tape")
                let kind: JSONDocument.Kind = word >> 56 == UInt64(UInt8(ascii: "{")) ? .object : .array
                (out + count).initialize(to: .init(kind: kind, flag: false, start: 0, length: 0, count: members, next: 0, number: 0))
                count += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                out[Int(open[depth])].next = Int32(count)
            case UInt8(ascii: "\""):
                let offset = Int(payload)
                let length = Int(UnsafeRawPointer(strings + offset).loadUnaligned(as: UInt32.self).littleEndian)
                stringsEnd = offset + 4 + length
                let prefix = JSONDocument.prefix(strings + offset + 4, length)
                scalar(.string, start: Int32(offset + 4), length: Int32(length), number: Double(bitPattern: prefix))
            case UInt8(ascii: "l"):
                i += 1
                scalar(.number, number: Double(Int64(bitPattern: words[i])))
            case UInt8(ascii: "u"):
                i += 1
                scalar(.number, number: Double(words[i]))
            case UInt8(ascii: "d"):
                i += 1
                scalar(.number, number: Double(bitPattern: words[i]))
            case UInt8(ascii: "t"): scalar(.bool, flag: true)
            case UInt8(ascii: "f"): scalar(.bool)
            case UInt8(ascii: "n"): scalar(.null)
            default: preconditionFailure("unknown simdjson tape word \(String(word, radix: 16)) at \(i)")
            }
            i += 1
        }
        assert(depth == 0, "unbalanced simdjson tape")
        return count
    }
}
