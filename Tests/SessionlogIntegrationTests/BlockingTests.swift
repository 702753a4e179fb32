import Foundation
import Testing

/// Runs tests that block their thread — they wait for child processes, sleep between kills, read
/// sockets — on threads of their own instead of Swift's concurrency pool.
///
/// That pool has one thread per core. On a two-core machine two such tests held both threads for
/// minutes, and every async test in the run (log writers, projectors at the tail) stood still
/// meanwhile and then missed its deadlines. This executor keeps the same bound, one blocking job
/// per core, apart from the pool.
final class BlockingTestExecutor: TaskExecutor, @unchecked Sendable {  // `pending` is guarded by `condition`
    static let shared = BlockingTestExecutor(threads: max(2, ProcessInfo.processInfo.activeProcessorCount))

    private static let marker = "BlockingTestExecutor"
    private let condition = NSCondition()
    private var pending: [UnownedJob] = []

    private init(threads: Int) {
        for index in 0..<threads {
            Thread { [unowned self] in
                Thread.current.threadDictionary[Self.marker] = true
                self.work()
            }.start()
        }
    }

    /// Whether the caller runs on one of the executor's threads.
    static func isCurrentThread() -> Bool { Thread.current.threadDictionary[marker] as? Bool == true }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        pending.append(job)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            let job = pending.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

/// A suite whose tests block their thread: each runs with `BlockingTestExecutor` as its task
/// executor, so its synchronous body (and the child tasks it starts) run on that executor's threads.
struct BlockingTrait: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        // A child task with the preference starts on the executor. `withTaskExecutorPreference`
        // alone does not hop: the test's body went on running on the pool thread it came from.
        try await withoutActuallyEscaping(function) { function in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask(executorPreference: BlockingTestExecutor.shared) { try await function() }
                try await group.waitForAll()
            }
        }
    }
}

extension Trait where Self == BlockingTrait {
    /// The suite's tests block their thread; run them off Swift's concurrency pool.
    static var blocking: Self { Self() }
}

@Suite(.blocking) struct BlockingTraitTests {
    /// The trait's one guarantee; without it this synchronous test runs on a pool thread.
    @Test func aBlockingSuitesTestsRunOnTheExecutorsThreads() {
        #expect(BlockingTestExecutor.isCurrentThread())
    }
}
