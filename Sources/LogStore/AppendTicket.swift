import LogFormat
import Synchronization

/// The promise of one enqueued append: resolved by the writer thread once the records are
/// durable (with their offsets) or have failed.
///
/// Thread-safe (`Mutex`). `offsets()` may be awaited once or many times, before or after resolution.
public final class AppendTicket: Sendable {
    public typealias Outcome = Result<[LogOffset], StorageError>
    private typealias Waiter = @Sendable (Outcome) -> Void

    private enum State {
        case pending([Waiter])
        case resolved(Outcome)
    }

    private let state = Mutex<State>(.pending([]))

    init() {}

    init(failed error: StorageError) {
        state.withLock { $0 = .resolved(.failure(error)) }
    }

    /// The records' offsets once durable; throws the `StorageError` that failed them.
    public func offsets() async throws -> [LogOffset] {
        try await outcome().get()
    }

    /// The outcome, once resolved.
    public func outcome() async -> Outcome {
        await withCheckedContinuation { continuation in whenResolved { continuation.resume(returning: $0) } }
    }

    /// Calls `callback` with the outcome: at once if resolved, else on the writer thread when it
    /// is. For event-loop code (the ingress) that must not block and need not create a task.
    public func whenResolved(_ callback: @escaping @Sendable (Outcome) -> Void) {
        let resolved = state.withLock { state -> Outcome? in
            switch state {
            case .pending(var waiters):
                waiters.append(callback)
                state = .pending(waiters)
                return nil
            case .resolved(let result):
                return result
            }
        }
        if let resolved { callback(resolved) }
    }

    /// The outcome if resolved, nil while pending.
    var resolvedOutcome: Outcome? {
        state.withLock { state in
            if case .resolved(let outcome) = state { outcome } else { nil }
        }
    }

    func resolve(_ result: Outcome) {
        let waiters = state.withLock { state -> [Waiter] in
            guard case .pending(let waiters) = state else {
                preconditionFailure("an append ticket is resolved exactly once")
            }
            state = .resolved(result)
            return waiters
        }
        for waiter in waiters { waiter(result) }
    }
}
