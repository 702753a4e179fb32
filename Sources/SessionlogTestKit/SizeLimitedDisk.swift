import Foundation

/// A real, size-limited disk for disk-full tests: a tmpfs mounted at a directory (root only),
/// which a filler file can make nearly full. `unmount()` it when done (in a `defer`).
public struct SizeLimitedDisk: Sendable {
    /// Where the tmpfs is mounted (created if missing).
    public let path: String
    private var filler: String { path + "/filler" }

    /// Mounts a tmpfs of `kibibytes` at `path`, with all but `free` KiB taken by a filler file.
    public init(at path: String, kibibytes: Int, free: Int) throws {
        precondition(free <= kibibytes, "a disk cannot have more free space than its size")
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mount = try ProcessRunner.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(kibibytes)k", "tmpfs", path])
        guard mount.status == 0 else { throw Failure("mounting a tmpfs needs root: \(mount.stderr)") }
        let fill = try ProcessRunner.run("/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=1k", "count=\(kibibytes - free)"])
        guard fill.status == 0 else {
            unmount()
            throw Failure("filling the tmpfs at \(path): \(fill.stderr)")
        }
    }

    /// Frees the space the filler took.
    public func makeRoom() throws { try FileManager.default.removeItem(atPath: filler) }

    /// Unmounts the tmpfs (lazily, should a process still hold a file on it).
    public func unmount() { _ = try? ProcessRunner.run("/bin/umount", ["-l", path]) }

    /// Why the disk could not be set up.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
