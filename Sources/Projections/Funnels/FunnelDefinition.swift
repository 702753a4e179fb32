import Foundation
import LogFormat
import Payloads

/// One funnel of `data/funnels.json` (SPEC §4.4), validated: a name, an optional site, 1+ steps
/// each matching exactly one of a page glob or a goal name, an optional window and order.
public struct FunnelDefinition: Equatable, Sendable {
    /// How a session must pass the steps (SPEC §4.4): `ordered` lets other actions come between two
    /// steps' actions; `strict` needs them consecutive in the session's ordered actions.
    public enum Order: String, Sendable { case ordered, strict }

    /// A named step; it matches exactly one kind of action.
    public struct Step: Equatable, Sendable {
        /// A pageview whose path the glob matches, or a goal with this exact name.
        public enum Matcher: Equatable, Sendable {
            case page(glob: String)
            case goal(name: String)
        }

        public var name: String
        public var matcher: Matcher
    }

    public var name: String
    public var siteID: String?
    public var steps: [Step]
    public var windowMs: Int64?
    public var order: Order
}

/// The funnels a projection is built with, and the digest that pins them: the projector refuses
/// to follow a database built with another digest.
public struct FunnelDefinitions: Equatable, Sendable {
    public var funnels: [FunnelDefinition]
    /// SHA-256 (hex) of the file's bytes; the empty list's digest when the file does not exist.
    public var digest: String

    /// No funnels (what a missing funnels.json means).
    public static let empty = FunnelDefinitions(funnels: [], digest: Hex.sha256([]))

    /// Loads `path`. A missing file means no funnels unless it is `required` (a path the user
    /// named); a file that exists but cannot be read is an error. Errors name the file and the
    /// JSON path.
    public static func load(path: String, required: Bool = false) throws -> FunnelDefinitions {
        guard FileManager.default.fileExists(atPath: path) else {
            guard !required else { throw DefinitionError(file: path, path: "", "no such file") }
            return .empty
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DefinitionError(file: path, path: "", "cannot be read (is it a readable file?)")
        }
        return FunnelDefinitions(funnels: try parse(Array(data), file: path), digest: Hex.sha256(Array(data)))
    }

    /// The digest `load(path:)` would give, without parsing (to notice an edited file cheaply).
    public static func digest(path: String) -> String {
        FileManager.default.contents(atPath: path).map { Hex.sha256(Array($0)) } ?? empty.digest
    }

    static func parse(_ bytes: [UInt8], file: String) throws -> [FunnelDefinition] {
        func fail(_ path: String, _ message: String) -> DefinitionError { DefinitionError(file: file, path: path, message) }
        // The strict parser says what and where ("unexpected end of input at byte 13");
        // Foundation's error does not.
        do throws(PayloadError) { _ = try JSONParser.parse(bytes[...]) } catch { throw fail("", "not valid JSON: \(error.message)") }
        let root = try JSONSerialization.jsonObject(with: Data(bytes))
        guard let list = (root as? [String: Any])?["funnels"] as? [Any] else {
            throw fail("funnels", "expected {\"funnels\":[…]}")
        }
        var names: Set<String> = []
        return try list.enumerated().map { (index, item) throws -> FunnelDefinition in
            let at = "funnels[\(index)]"
            guard let object = item as? [String: Any] else { throw fail(at, "expected an object") }
            guard let name = object["name"] as? String, !name.isEmpty else { throw fail(at + ".name", "expected a non-empty string") }
            guard names.insert(name).inserted else { throw fail(at + ".name", "funnel \"\(name)\" is defined twice") }
            let siteID = object["site_id"] as? String
            if object["site_id"] != nil, !(object["site_id"] is NSNull), siteID == nil {
                throw fail(at + ".site_id", "expected a string")
            }
            var windowMs: Int64?
            if let window = object["window_ms"], !(window is NSNull) {
                guard let number = window as? NSNumber, String(cString: number.objCType) != "c", number.doubleValue >= 0,
                    number.doubleValue.rounded() == number.doubleValue
                else { throw fail(at + ".window_ms", "expected an integer ≥ 0 (milliseconds)") }
                windowMs = number.int64Value
            }
            var order = FunnelDefinition.Order.ordered
            if let raw = object["order"], !(raw is NSNull) {
                guard let text = raw as? String, let parsed = FunnelDefinition.Order(rawValue: text) else {
                    throw fail(at + ".order", "expected \"ordered\" or \"strict\"")
                }
                order = parsed
            }
            guard let steps = object["steps"] as? [Any], !steps.isEmpty else { throw fail(at + ".steps", "expected a non-empty array") }
            let parsedSteps = try steps.enumerated().map { (stepIndex, raw) throws -> FunnelDefinition.Step in
                let stepAt = "\(at).steps[\(stepIndex)]"
                guard let step = raw as? [String: Any] else { throw fail(stepAt, "expected an object") }
                guard let stepName = step["name"] as? String, !stepName.isEmpty else {
                    throw fail(stepAt + ".name", "expected a non-empty string")
                }
                switch (step["page"], step["goal"]) {
                case (let page as String, nil): return .init(name: stepName, matcher: .page(glob: page))
                case (nil, let goal as String): return .init(name: stepName, matcher: .goal(name: goal))
                case (nil, nil): throw fail(stepAt, "a step needs \"page\" (a path glob) or \"goal\" (a goal name)")
                case (.some, .some): throw fail(stepAt, "a step has exactly one of \"page\" or \"goal\", not both")
                default: throw fail(stepAt, "\"page\" and \"goal\" must be strings")
                }
            }
            return FunnelDefinition(name: name, siteID: siteID, steps: parsedSteps, windowMs: windowMs, order: order)
        }
    }
}
