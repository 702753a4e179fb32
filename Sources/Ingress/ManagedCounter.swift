import Synchronization

/// A thread-safe integer counter (in-flight requests).
final class ManagedCounter: Sendable {
    private let value = Atomic<Int>(0)

    func add(_ delta: Int) { value.add(delta, ordering: .relaxed) }
    var current: Int { value.load(ordering: .relaxed) }
}

/// A thread-safe boolean that is set or cleared once per change (shutdown, draining, disk full).
final class ManagedFlag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { value.load(ordering: .acquiring) }

    /// Sets the flag to `newValue`; returns whether that changed it (true for exactly one caller).
    @discardableResult
    func change(to newValue: Bool) -> Bool {
        value.compareExchange(expected: !newValue, desired: newValue, ordering: .acquiringAndReleasing).exchanged
    }
}
