/// The four projections (SPEC §4) and their schema versions (SPEC §5): each version's DDL is
/// `Schemas/projections/NAME/vN.sql`, embedded in the binary at build time.
public enum ProjectionKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case pages, sessions, funnels, attribution

    public var description: String { rawValue }

    /// The versions this build can create, oldest first.
    public var versions: [Int] {
        switch self {
        case .pages: [1, 2]
        case .sessions: [1, 2, 3]
        case .funnels, .attribution: [1]
        }
    }

    /// The version a new projection gets.
    public var latestVersion: Int { versions.last! }

    /// The DDL of version `version` (which must be one of `versions`).
    public func ddl(version: Int) -> String {
        let bytes: [UInt8] =
            switch (self, version) {
            case (.pages, 1): PackageResources.pages_v1_sql
            case (.pages, 2): PackageResources.pages_v2_sql
            case (.sessions, 1): PackageResources.sessions_v1_sql
            case (.sessions, 2): PackageResources.sessions_v2_sql
            case (.sessions, 3): PackageResources.sessions_v3_sql
            case (.funnels, 1): PackageResources.funnels_v1_sql
            case (.attribution, 1): PackageResources.attribution_v1_sql
            default: preconditionFailure("\(self) has no version \(version); versions are \(versions)")
            }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The tables `query` shows, main table first.
    public var tables: [String] {
        switch self {
        case .pages: ["pages"]
        case .sessions: ["sessions"]
        case .funnels: ["funnel_steps", "funnel_sessions"]
        case .attribution: ["attribution_channels", "attribution"]
        }
    }
}
