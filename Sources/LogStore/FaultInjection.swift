import Synchronization

/// A syscall the fault injector can fail.
public enum FileOperation: Sendable {
    case write, sync, truncate
}

/// What an injected fault does.
public enum InjectedFault: Sendable {
    /// The call fails with `errno` and does nothing.
    case fail(errno: Int32)
    /// Writes only: the first half of the bytes reach the file, then the call fails with `errno`
    /// (a short write followed by an error, as on a filling disk).
    case tornWrite(errno: Int32)
}

/// The seam for a fault-injecting file layer (TigerBeetle's simulated storage, swift-system's
/// mocking): tests install rules that may fail writes, syncs and truncates of real files under a
/// directory of theirs. Without rules (production) each check is one uncontended lock.
///
/// Thread-safe (`Mutex`). Rules for different directories coexist, so tests can run in parallel.
public enum FaultInjection {
    public typealias Rule = @Sendable (FileOperation, _ path: String) -> InjectedFault?

    private static let rules = Mutex<[String: Rule]>([:])

    /// Installs `rule` for files under `directory` (nil removes it). Tests only.
    public static func install(under directory: String, _ rule: Rule?) {
        rules.withLock { $0[directory.hasSuffix("/") ? directory : directory + "/"] = rule }
    }

    static func fault(for operation: FileOperation, path: String) -> InjectedFault? {
        let matching = rules.withLock { rules in rules.first { path.hasPrefix($0.key) }?.value }
        return matching?(operation, path)
    }
}
