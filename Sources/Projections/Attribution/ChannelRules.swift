import Foundation

/// SPEC §4.5's channel grouping, with its lists read from `Schemas/channels.json` (embedded in
/// the binary at build time; its SHA-256 is part of the attribution projection's definition).
///
/// Immutable after loading; safe from any thread.
public struct ChannelRules: Sendable {
    let searchSources: [String]
    let socialSources: [String]
    let displayMediums: Set<String>
    let socialMediums: Set<String>
    let emailTokens: [String]
    let organicSearchMediums: Set<String>
    let affiliateMediums: Set<String>
    let referralMediums: Set<String>
    let paidMediumPattern: String
    /// The definition bytes, for the projection's digest.
    public let definition: [UInt8]

    /// The lists shipped with this build (`Schemas/channels.json`).
    public static let shipped: ChannelRules = {
        do { return try ChannelRules(json: PackageResources.channels_json) } catch {
            fatalError("the embedded Schemas/channels.json is invalid: \(error)")
        }
    }()

    public init(json: [UInt8]) throws {
        guard let object = try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else {
            throw DefinitionError(file: "channels.json", path: "", "expected a JSON object")
        }
        func list(_ key: String) throws -> [String] {
            guard let values = object[key] as? [String] else {
                throw DefinitionError(file: "channels.json", path: key, "expected an array of strings")
            }
            return values.map { $0.lowercased() }
        }
        searchSources = try list("search_sources")
        socialSources = try list("social_sources")
        displayMediums = Set(try list("display_mediums"))
        socialMediums = Set(try list("social_mediums"))
        emailTokens = try list("email_tokens")
        organicSearchMediums = Set(try list("organic_search_mediums"))
        affiliateMediums = Set(try list("affiliate_mediums"))
        referralMediums = Set(try list("referral_mediums"))
        guard let pattern = object["paid_medium_pattern"] as? String, (try? Regex(pattern)) != nil else {
            throw DefinitionError(file: "channels.json", path: "paid_medium_pattern", "expected a regular expression")
        }
        paidMediumPattern = pattern
        definition = json
    }

    /// The channel of a lower-cased source and medium; the first matching rule wins.
    public func channel(source: String?, medium: String?, paidMedium: (String) -> Bool) -> String {
        let medium = medium ?? ""
        let paid = !medium.isEmpty && paidMedium(medium)
        if source == nil && medium.isEmpty { return "direct" }
        if paid && contains(searchSources, source) { return "paid_search" }
        if paid && contains(socialSources, source) { return "paid_social" }
        if displayMediums.contains(medium) { return "display" }
        if paid { return "paid_other" }
        if contains(socialSources, source) || socialMediums.contains(medium) { return "organic_social" }
        if contains(searchSources, source) || organicSearchMediums.contains(medium) { return "organic_search" }
        if contains(emailTokens, source) || emailTokens.contains(medium) { return "email" }
        if affiliateMediums.contains(medium) { return "affiliate" }
        if referralMediums.contains(medium) || (medium.isEmpty && source != nil) { return "referral" }
        return "unassigned"
    }

    /// A source is in a list when `"." + source + "."` contains `"." + token + "."`.
    private func contains(_ tokens: [String], _ source: String?) -> Bool {
        guard let source else { return false }
        let dotted = "." + source + "."
        return tokens.contains { dotted.contains("." + $0 + ".") }
    }
}

/// A definition file (funnels.json, channels.json) that cannot be used: which file, where in
/// it, and what is wrong.
public struct DefinitionError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var path: String
    public var message: String

    public init(file: String, path: String, _ message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    public var description: String { "\(file)\(path.isEmpty ? "" : " at \(path)"): \(message)" }
}
