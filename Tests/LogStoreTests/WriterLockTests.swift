import Foundation
import SessionlogTestKit
import Synchronization
import Testing

@testable import LogStore

/// `WriterLock`: one holder at a time, and `holder(of:)` names it — however many other locks
/// the machine takes and drops meanwhile — without taking the lock itself.
@Suite struct WriterLockTests {
    struct Busy: Error, Equatable { let holder: String }
    final class StopFlag: Sendable { let raised = Atomic(false) }

    @Test func theHolderIsNamedUntilItReleasesAndASecondWriterIsTurnedAway() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("LOCK")
        #expect(WriterLock.holder(of: path) == nil, "no lock file")
        let lock = try WriterLock.acquire(lockFile: path) { Busy(holder: $0) }
        #expect(WriterLock.holder(of: path) == getpid())
        #expect(throws: Busy(holder: "pid \(getpid())")) { try WriterLock.acquire(lockFile: path) { Busy(holder: $0) } }
        #expect(WriterLock.holder(of: path) == getpid(), "a refused writer leaves the lock as it was")
        lock.release()
        #expect(WriterLock.holder(of: path) == nil, "the file is left, with its last pid, unlocked")
        let again = try WriterLock.acquire(lockFile: path) { Busy(holder: $0) }
        #expect(WriterLock.holder(of: path) == getpid())
        again.release()
    }

    /// Hundreds of locks on other files taken and dropped all along (as SQLite databases and other
    /// writers on a busy host do): the holder is found every time. Reading `/proc/locks`, which
    /// the kernel hands out a page per read and which shifts between reads, missed it.
    @Test func theHolderIsFoundWhileOtherLocksComeAndGo() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("LOCK")
        let lock = try WriterLock.acquire(lockFile: path) { Busy(holder: $0) }
        defer { lock.release() }
        let stop = StopFlag()
        let churners = DispatchGroup()
        for thread in 0..<4 {
            churners.enter()
            Thread {
                defer { churners.leave() }
                var held = [WriterLock]()
                var round = 0
                while !stop.raised.load(ordering: .relaxed) {
                    round += 1
                    if held.count < 60 {  // locks on other files, taken one by one
                        let other = dir.file("other-\(thread)-\(round)")
                        if let lock = try? WriterLock.acquire(lockFile: other, busy: { Busy(holder: $0) }) {
                            held.append(lock)
                        }
                    } else {  // and dropped from the front, so locks listed before this one shift
                        for lock in held.prefix(30) { lock.release() }
                        held.removeFirst(30)
                    }
                }
                for lock in held { lock.release() }
            }.start()
        }
        var missed = 0
        for _ in 0..<2_000 where WriterLock.holder(of: path) != getpid() { missed += 1 }
        stop.raised.store(true, ordering: .relaxed)
        churners.wait()
        #expect(missed == 0, "the holder went unseen \(missed) times in 2,000")
    }

    /// Writers taking turns on one lock file (a projector's database reopened, a rebuild after a
    /// run): each attempt either gets the lock or is turned away as busy, never fails on a lock
    /// the last holder is still dropping.
    @Test func aWriterTakingTheLockAsAnotherReleasesItGetsItOrIsTurnedAway() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("LOCK")
        let failures = Mutex([String]())
        let writers = DispatchGroup()
        for _ in 0..<2 {
            writers.enter()
            Thread {
                defer { writers.leave() }
                for _ in 0..<5_000 {
                    do {
                        try WriterLock.acquire(lockFile: path) { Busy(holder: $0) }.release()
                    } catch is Busy {
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            }.start()
        }
        writers.wait()
        let failed = failures.withLock { $0 }
        #expect(failed.count == 0, "\(failed.count) of 10,000 attempts failed: \(failed.prefix(3))")
    }
}
