import Foundation
import LogFormat
import Synchronization
import Testing

@testable import LogStore

@Suite struct GroupCommitQueueTests {
    /// The writer's side of the queue on its own thread; records each group's size (nil: closed).
    final class Writer: Sendable {
        let groups = Mutex<[Int?]>([])
        let groupTaken = DispatchSemaphore(value: 0)

        init(_ queue: GroupCommitQueue) {
            Thread { [self] in
                while true {
                    let group = queue.takeGroup(bytesMax: 1 << 20)
                    groups.withLock { $0.append(group?.count) }
                    groupTaken.signal()
                    if group == nil { return }
                }
            }.start()
        }

        func awaitGroup() -> Bool { groupTaken.wait(timeout: .now() + 30) == .success }
    }

    static func request() -> GroupCommitQueue.Request {
        let record = LogFixture.record(#"{"v":3}"#)
        return .init(content: .records([record]), recordCount: 1, rawBytes: record.encodedSize, ticket: AppendTicket())
    }

    @Test func aRequestOrACloseArrivingWhileTheWriterPollsEndsThePollAtOnce() {
        // A minute of polling: a request or a close that the poll missed would hold the writer
        // for twice as long as the test waits for it.
        let queue = GroupCommitQueue(next: .zero, head: .zero, idleSpin: .seconds(60))
        let writer = Writer(queue)
        Thread.sleep(forTimeInterval: 0.05)  // the writer is asleep, waiting
        queue.enqueue(Self.request())  // a short wait and a group of one: the next wait polls
        #expect(writer.awaitGroup())
        Thread.sleep(forTimeInterval: 0.05)  // the writer is polling
        queue.enqueue(Self.request())
        #expect(writer.awaitGroup(), "a request that arrived during the poll was not taken")
        Thread.sleep(forTimeInterval: 0.05)
        queue.close()
        #expect(writer.awaitGroup(), "a close during the poll did not end it")
        #expect(writer.groups.withLock { $0 } == [1, 1, nil])
    }
}
