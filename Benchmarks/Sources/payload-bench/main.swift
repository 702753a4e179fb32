// payload-bench: validation + decoding throughput per core, per payload version, beside
// Foundation's JSONSerialization parsing the same bytes in the same run.
//
//   payload-bench TRAFFIC.ndjson
import Foundation
import Payloads

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: payload-bench TRAFFIC.ndjson\n".utf8))
    exit(2)
}
let input = try Data(contentsOf: URL(fileURLWithPath: CommandLine.arguments[1]))
let lines: [[UInt8]] = input.split(separator: UInt8(ascii: "\n")).map { Array($0) }

func now() -> Double { Date().timeIntervalSince1970 }
/// PAYLOAD_BENCH_SECONDS lengthens each measurement (for profiling); default 1.
let secondsPerMeasurement = ProcessInfo.processInfo.environment["PAYLOAD_BENCH_SECONDS"].flatMap(Double.init) ?? 1

/// Runs `body` over `payloads` enough times for `secondsPerMeasurement`; returns (MB/s, payloads/s).
func measure(_ payloads: [[UInt8]], _ body: ([UInt8]) -> Bool) -> (Double, Double) {
    let bytes = payloads.reduce(0) { $0 + $1.count }
    var rounds = 0
    var failures = 0
    for payload in payloads { _ = body(payload) }  // warm-up: caches, allocator, parser buffers
    let start = now()
    repeat {
        for payload in payloads where !body(payload) { failures += 1 }
        rounds += 1
    } while now() - start < secondsPerMeasurement
    let seconds = now() - start
    precondition(failures == 0, "\(failures) payloads failed")
    return (Double(bytes * rounds) / seconds / 1e6, Double(payloads.count * rounds) / seconds)
}

var byVersion = [UInt8: [[UInt8]]]()
for line in lines {
    guard let version = try? PayloadValidator.validate(line, route: nil).version else { continue }
    byVersion[version.rawValue, default: []].append(line)
}
print("version  payloads  avg bytes   sessionlog MB/s  payloads/s   JSONSerialization MB/s   ratio")
var totals = (ours: 0.0, theirs: 0.0, bytes: 0)
for version in [UInt8(3), 2, 1] {
    guard let payloads = byVersion[version], !payloads.isEmpty else { continue }
    let route = PayloadVersion(rawValue: version)!
    let ours = measure(payloads) { (try? PayloadValidator.validate($0, route: route)) != nil }
    // PAYLOAD_BENCH_ONLY_OURS=1 skips the peer (for profiling).
    let theirs =
        ProcessInfo.processInfo.environment["PAYLOAD_BENCH_ONLY_OURS"] != nil
        ? (1.0, 1.0) : measure(payloads) { (try? JSONSerialization.jsonObject(with: Data($0))) != nil }
    let bytes = payloads.reduce(0) { $0 + $1.count }
    totals.bytes += bytes
    totals.ours += Double(bytes) / (ours.0 * 1e6)
    totals.theirs += Double(bytes) / (theirs.0 * 1e6)
    print(String(format: "v%d      %8d  %9.0f   %15.0f  %10.0f   %22.1f   %5.1fx", Int(version), payloads.count, Double(bytes) / Double(payloads.count), ours.0, ours.1, theirs.0, ours.0 / theirs.0))
}
let all = byVersion.values.flatMap { $0 }
let parseOnly = measure(all) { (try? JSONParser.parse($0[...])) != nil }
print(String(format: "parse only (strict I-JSON, no decoding), mixed: %.0f MB/s", parseOnly.0))
// The ingress's path beside the projectors' on the same lines in the same order (each line's
// own `v` choosing): `check` runs every check but keeps only the verdict.
let decodeAll = measure(all) { (try? PayloadValidator.validate($0[...], route: nil)) != nil }
let checkAll = measure(all) { (try? PayloadValidator.check($0[...], route: nil)) != nil }
print(String(format: "mixed, in file order: validate + decode %.0f MB/s, check only (the ingress's verdict) %.0f MB/s", decodeAll.0, checkAll.0))
let mixedOurs = Double(totals.bytes) / totals.ours / 1e6
let mixedTheirs = Double(totals.bytes) / totals.theirs / 1e6
print(String(format: "mixed traffic: sessionlog %.0f MB/s, JSONSerialization %.1f MB/s, ratio %.1fx", mixedOurs, mixedTheirs, mixedOurs / mixedTheirs))
