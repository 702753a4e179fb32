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
/// mocking): tests install a rule that may fail writes, syncs and truncates of real files.
/// Without a rule (production) each check is one uncontended lock.
///
/// Thread-safe (`Mutex`).
public enum FaultInjection {
    public typealias Rule = @Sendable (FileOperation, _ path: String) -> InjectedFault?

    private static let rule = Mutex<Rule?>(nil)

    /// Installs `rule` (nil removes it). Tests only.
    public static func install(_ newRule: Rule?) {
        rule.withLock { $0 = newRule }
    }

    static func fault(for operation: FileOperation, path: String) -> InjectedFault? {
        guard let current = rule.withLock({ $0 }) else { return nil }
        return current(operation, path)
    }
}
