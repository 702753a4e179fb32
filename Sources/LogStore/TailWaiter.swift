/// Waits for a log's writer between reads at the committed end: inotify on the log directory,
/// with `pollIntervalMs` as the upper bound (and as a plain sleep where inotify is unavailable).
///
/// The `wait()` that starts watching returns at once, so the caller reads again before it really
/// waits: an append between the caller's last read and the watch is never missed. While the
/// directory cannot be watched (it may not exist yet), each `wait()` sleeps and tries again.
/// Not thread-safe: one per reading task.
public struct TailWaiter {
    private let directory: String
    private let pollIntervalMs: Int32
    private var watcher: DirectoryWatcher?

    public init(directory: String, pollIntervalMs: Int32) {
        self.directory = directory
        self.pollIntervalMs = pollIntervalMs
    }

    public mutating func wait() async throws {
        if watcher == nil, let created = DirectoryWatcher(directory: directory) {
            watcher = created
            return
        }
        if let watcher {
            await watcher.waitForChange(timeoutMs: pollIntervalMs)
        } else {
            try await Task.sleep(for: .milliseconds(Int(pollIntervalMs)))
        }
    }
}
