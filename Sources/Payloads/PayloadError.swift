/// Why a payload was refused (SPEC §1.4): a stable code, the JSON path of the offending value
/// (`actions[3].page_number`; empty for the whole payload) and a message for the producer's developer.
public struct PayloadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The SPEC §1.4 error codes.
    public enum Code: String, Sendable, CaseIterable {
        case invalidJSON = "invalid_json"
        case invalidUTF8 = "invalid_utf8"
        case tooLarge = "too_large"
        case tooDeep = "too_deep"
        case missingField = "missing_field"
        case wrongType = "wrong_type"
        case outOfRange = "out_of_range"
        case tooManyActions = "too_many_actions"
        case unknownActionType = "unknown_action_type"
        case unknownEventType = "unknown_event_type"
        case invalidValue = "invalid_value"
        case invalidTimestamp = "invalid_timestamp"
        case versionMismatch = "version_mismatch"
        case invalidID = "invalid_id"
        case idempotencyConflict = "idempotency_conflict"
    }

    public var code: Code
    public var path: String
    /// The whole message; an error about one member names it first ("kind: is required").
    public var message: String
    /// The message without that name, for where the path is shown beside it.
    public var detail: String

    public init(_ code: Code, path: String = "", _ message: String) {
        self.code = code
        self.path = path
        self.message = message
        detail = message
    }

    /// An error about the member named `member`, the last step of `path`.
    public init(_ code: Code, path: String, member: String, _ detail: String) {
        self.init(code, path: path, "\(member): \(detail)")
        self.detail = detail
    }

    /// A key reused with another route or other bytes (SPEC §2): the payload is quarantined.
    public static func idempotencyConflict(key: String) -> PayloadError {
        PayloadError(.idempotencyConflict, "idempotency key \(quoted(key)) was already used with another route or payload")
    }

    public var description: String { "\(code.rawValue) at \(path.isEmpty ? "(payload)" : path): \(message)" }

    /// A value the producer sent, as a message shows it: JSON-quoted (one line, whatever it
    /// holds) and cut after 40 characters.
    static func quoted(_ sent: String) -> String {
        JSONText.string(sent.count > 40 ? String(sent.prefix(40)) + "…" : sent)
    }
}

/// One step of a JSON path: a member name or an array index.
enum PathComponent: Sendable {
    case key(String)
    case index(Int)

    /// Renders components as `actions[3].page_number` (members with other characters as `["a b"]`,
    /// JSON-quoted, so a path is one line).
    static func render(_ components: [PathComponent]) -> String {
        var path = ""
        for component in components {
            switch component {
            case .index(let i): path += "[\(i)]"
            case .key(let k):
                if !k.isEmpty, k.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }) {
                    path += path.isEmpty ? k : "." + k
                } else {
                    path += "[" + JSONText.string(k) + "]"
                }
            }
        }
        return path
    }
}
