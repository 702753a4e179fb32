import Synchronization

/// A thread-safe integer counter (in-flight requests).
final class ManagedCounter: Sendable {
    private let value = Atomic<Int>(0)

    func add(_ delta: Int) { value.add(delta, ordering: .relaxed) }
    var current: Int { value.load(ordering: .relaxed) }
}
