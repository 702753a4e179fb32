import ArgumentParser
import Projections
import Synchronization

extension ProjectionKind: ExpressibleByArgument {}

/// `project`'s NAME: one projection or `all`.
enum ProjectionSelection: ExpressibleByArgument, Equatable {
    case one(ProjectionKind)
    case all

    init?(argument: String) {
        if argument == "all" {
            self = .all
        } else if let kind = ProjectionKind(rawValue: argument) {
            self = .one(kind)
        } else {
            return nil
        }
    }

    static var allValueStrings: [String] { ProjectionKind.allCases.map(\.rawValue) + ["all"] }
}

/// A thread-safe "stop requested" flag set from a signal handler.
final class StopFlag: Sendable {
    private let flag = Atomic(false)
    func set() { flag.store(true, ordering: .releasing) }
    var isSet: Bool { flag.load(ordering: .acquiring) }
}
