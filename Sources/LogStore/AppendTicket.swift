import LogFormat
import Synchronization

/// The promise of one enqueued append: resolved by the writer thread once the records are
/// durable (with their offsets) or have failed.
///
/// Thread-safe (`Mutex`). `offsets()` may be awaited once or many times, before or after resolution.
public final class AppendTicket: Sendable {
    private enum State {
        case pending([CheckedContinuation<[LogOffset], any Error>])
        case resolved(Result<[LogOffset], StorageError>)
    }

    private let state = Mutex<State>(.pending([]))

    init() {}

    init(failed error: StorageError) {
        state.withLock { $0 = .resolved(.failure(error)) }
    }

    /// The records' offsets once durable; throws the `StorageError` that failed them.
    public func offsets() async throws -> [LogOffset] {
        try await withCheckedThrowingContinuation { continuation in
            let resolved = state.withLock { state -> Result<[LogOffset], StorageError>? in
                switch state {
                case .pending(var waiters):
                    waiters.append(continuation)
                    state = .pending(waiters)
                    return nil
                case .resolved(let result):
                    return result
                }
            }
            if let resolved { continuation.resume(with: resolved.mapError { $0 as any Error }) }
        }
    }

    func resolve(_ result: Result<[LogOffset], StorageError>) {
        let waiters = state.withLock { state -> [CheckedContinuation<[LogOffset], any Error>] in
            guard case .pending(let waiters) = state else {
                preconditionFailure("an append ticket is resolved exactly once")
            }
            state = .resolved(result)
            return waiters
        }
        for waiter in waiters { waiter.resume(with: result.mapError { $0 as any Error }) }
    }
}
