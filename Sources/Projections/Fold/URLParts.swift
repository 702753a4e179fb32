import LogFormat

/// A URI split as RFC 3986 appendix B's regular expression does
/// (`^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?`): no decoding, no validation.
struct URLParts: Equatable {
    var scheme: String?
    var authority: String?
    var path: String
    var query: String?

    init(_ text: String) {
        var rest = Substring(text)
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        if let colon = rest.firstIndex(where: { $0 == ":" || $0 == "/" || $0 == "?" }), rest[colon] == ":", colon > rest.startIndex {
            scheme = String(rest[..<colon])
            rest = rest[rest.index(after: colon)...]
        }
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            authority = String(rest[..<end])
            rest = rest[end...]
        }
        if let question = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: question)...])
            rest = rest[..<question]
        }
        path = String(rest)
    }

    /// The path component, `/` when empty (SPEC §4.1: a V1 page's `path`).
    var pagePath: String { path.isEmpty ? "/" : path }

    /// The host of an absolute URL with an authority: userinfo and port removed, lower-cased,
    /// a leading `www.` dropped (SPEC §4.5's referrer-domain normalization).
    var normalizedHost: String? {
        guard scheme != nil, var host = authority.map({ Substring($0) }) else { return nil }
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        if host.hasPrefix("[") {
            if let close = host.firstIndex(of: "]") { host = host[...close] }
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        var lowered = host.lowercased()
        if lowered.hasPrefix("www.") { lowered.removeFirst(4) }
        return lowered.isEmpty ? nil : lowered
    }

    var isHTTP: Bool {
        guard let scheme = scheme?.lowercased() else { return false }
        return scheme == "http" || scheme == "https"
    }

    /// The query's parameters, form-decoded; the first occurrence of a name wins (SPEC §4.1).
    var queryParameters: [String: String] {
        guard let query else { return [:] }
        var parameters: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: "=")
            let name = URLParts.formDecode(equals.map { pair[..<$0] } ?? pair)
            let value = equals.map { URLParts.formDecode(pair[pair.index(after: $0)...]) } ?? ""
            if parameters[name] == nil { parameters[name] = value }
        }
        return parameters
    }

    /// `+` is a space, `%XX` a byte, an invalid `%` sequence stays literal; bytes that are not
    /// UTF-8 become U+FFFD.
    static func formDecode(_ text: Substring) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(text) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = Hex.digitValue(bytes[index + 1]), let low = Hex.digitValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
