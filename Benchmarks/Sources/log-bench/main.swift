// log-bench: append and replay throughput of the log engine beside the disk's own limit.
//
//   log-bench TRAFFIC.ndjson WORK_DIR
//
// Prints one line per measurement: name, records/s, raw MB/s, and extras. Every figure in one run,
// on the same bytes, so ratios between lines are meaningful on a noisy machine.
import BenchInput
import Foundation
import LogFormat
import LogStore

let arguments = BenchInput.arguments("log-bench", operands: ["TRAFFIC.ndjson", "WORK_DIR"])
let payloads = BenchInput.lines("log-bench", path: arguments[0])
let workDirectory = arguments[1]
let rawBytes = payloads.reduce(0) { $0 + $1.count }
let records = payloads.map { AppendRecord(version: 3, producerUID: 1000, payload: $0) }
print(String(format: "input: %d payloads, %.1f MB, %.0f bytes average", payloads.count, Double(rawBytes) / 1e6, Double(rawBytes) / Double(payloads.count)))

func report(_ name: String, seconds: Double, records: Int, bytes: Int, extra: String = "") {
    print(String(format: "%-34@ %10.0f rec/s %9.1f MB/s  %@", name as NSString, Double(records) / seconds, Double(bytes) / seconds / 1e6, extra as NSString))
}

func freshDirectory(_ name: String) -> String {
    let path = workDirectory + "/" + name
    try? FileManager.default.removeItem(atPath: path)
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The disk's limit: the same raw bytes appended in chunks of `chunkBytes`, fdatasync after each.
func plainAppendLoop(chunkBytes: Int) throws -> Double {
    let path = freshDirectory("plain-\(chunkBytes)") + "/plain.bin"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(fd >= 0)
    var chunk = [UInt8]()
    chunk.reserveCapacity(chunkBytes + 1 << 20)
    let start = now()
    for payload in payloads {
        chunk += payload
        if chunk.count >= chunkBytes {
            precondition(write(fd, chunk, chunk.count) == chunk.count)
            precondition(fdatasync(fd) == 0)
            chunk.removeAll(keepingCapacity: true)
        }
    }
    if !chunk.isEmpty {
        precondition(write(fd, chunk, chunk.count) == chunk.count)
        precondition(fdatasync(fd) == 0)
    }
    let seconds = now() - start
    close(fd)
    report("plain write+fdatasync \(chunkBytes >> 10) KiB", seconds: seconds, records: payloads.count, bytes: rawBytes)
    return seconds
}

/// sessionlog appends: requests of `batchBytes` raw bytes, each its own batch and fdatasync
/// (`inFlight` 1), or several requests in flight so compression overlaps the sync. `producers`
/// concurrent tasks share the requests (request i goes to task i mod `producers`), each with
/// `inFlight` of its own, as the ingress's connections do: a request is compressed by the task
/// that enqueues it (`LogWriter.callerEncodesBytesMin`), so several tasks compress on every core.
func logAppend(
    batchBytes: Int, inFlight: Int, producers: Int = 1
) async throws -> (seconds: Double, directory: String) {
    let directory = freshDirectory("log-\(batchBytes)-\(inFlight)-\(producers)")
    var options = LogWriterOptions()
    options.batchBytesMax = batchBytes
    options.groupBytesMax = batchBytes * max(1, inFlight * producers)
    let writer = try LogWriter.open(directory: directory, options: options)
    var requests = [[AppendRecord]]()
    var current = [AppendRecord]()
    var bytes = 0
    for record in records {
        if bytes + record.encodedSize > batchBytes && !current.isEmpty {
            requests.append(current)
            current = []
            bytes = 0
        }
        current.append(record)
        bytes += record.encodedSize
    }
    if !current.isEmpty { requests.append(current) }
    let start = now()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for producer in 0..<producers {
            group.addTask { [requests] in
                var pending = [AppendTicket]()
                for index in stride(from: producer, to: requests.count, by: producers) {
                    pending.append(writer.enqueue(requests[index]))
                    if pending.count >= inFlight { _ = try await pending.removeFirst().offsets() }
                }
                for ticket in pending { _ = try await ticket.offsets() }
            }
        }
        try await group.waitForAll()
    }
    let seconds = now() - start
    await writer.close()
    let summary = try LogInspector.summarize(directory: directory)
    let stored = summary.reduce(Int64(0)) { $0 + $1.storedBytes }
    let raw = summary.reduce(Int64(0)) { $0 + $1.rawBytes }
    let producing = producers > 1 ? " \(producers) producers" : ""
    let name = "sessionlog append \(batchBytes >> 10) KiB x\(inFlight)\(producing)"
    report(
        name, seconds: seconds, records: payloads.count, bytes: rawBytes,
        extra: String(format: "ratio %.2f (raw %.1f MB -> stored %.1f MB)", Double(raw) / Double(stored), Double(raw) / 1e6, Double(stored) / 1e6))
    return (seconds, directory)
}

/// Reads every record back through a cursor (decompress, CRC, framing) and touches each payload.
func replay(_ directory: String) throws -> Double {
    let start = now()
    var cursor = LogReader(directory: directory).cursor(from: .zero)
    var count = 0
    var bytes = 0
    while let batch = try cursor.nextBatch() {
        for record in batch {
            count += 1
            bytes += record.payload.count
        }
    }
    let seconds = now() - start
    precondition(count == payloads.count && bytes == rawBytes, "replay read \(count) records, \(bytes) bytes")
    report("sessionlog replay (1 core)", seconds: seconds, records: count, bytes: bytes)
    return seconds
}

func verify(_ directory: String) throws -> Double {
    let start = now()
    let result = try LogVerifier.verify(directory: directory)
    let seconds = now() - start
    precondition(result.records == payloads.count)
    report("sessionlog verify (1 core)", seconds: seconds, records: result.records, bytes: rawBytes, extra: "head \(result.head.hex.prefix(16))…")
    return seconds
}

print("CRC32C hardware: \(CRC32C.isHardwareAccelerated)")
let plain64 = try plainAppendLoop(chunkBytes: 64 << 10)
let log64 = try await logAppend(batchBytes: 64 << 10, inFlight: 1)
let plain1M = try plainAppendLoop(chunkBytes: 1 << 20)
let log1M = try await logAppend(batchBytes: 1 << 20, inFlight: 1)
let log1MPipelined = try await logAppend(batchBytes: 1 << 20, inFlight: 4)
let log1MProducers = try await logAppend(batchBytes: 1 << 20, inFlight: 1, producers: 8)
let replaySeconds = try replay(log1M.directory)
let verifySeconds = try verify(log1M.directory)
print(
    String(
        format: "ratio append/plain: 64 KiB %.2f, 1 MiB %.2f, 1 MiB x4 %.2f, 1 MiB 8 producers %.2f", plain64 / log64.seconds,
        plain1M / log1M.seconds, plain1M / log1MPipelined.seconds, plain1M / log1MProducers.seconds))
print(String(format: "replay %.0f MB/s, verify %.0f MB/s of raw payload", Double(rawBytes) / replaySeconds / 1e6, Double(rawBytes) / verifySeconds / 1e6))

/// CPU cost of building batches alone (layout, LZ4, CRC, SHA-256), without I/O.
func encodeOnly(batchBytes: Int) {
    var encoder = BatchBodyEncoder()
    var output = [UInt8]()
    var hash = BatchHash.zero
    var offset = LogOffset.zero
    let start = now()
    for record in records {
        if !encoder.isEmpty && encoder.rawSize + record.encodedSize > batchBytes {
            output.removeAll(keepingCapacity: true)
            let body = encoder.finish()
            hash = BatchHeader.seal(body, baseOffset: offset, receivedAtMs: 1, previousHash: hash, appendingTo: &output).hash
            offset = offset.advanced(by: body.recordCount)
        }
        encoder.add(record)
    }
    report("encode only \(batchBytes >> 10) KiB (1 core)", seconds: now() - start, records: payloads.count, bytes: rawBytes)
}
encodeOnly(batchBytes: 1 << 20)
