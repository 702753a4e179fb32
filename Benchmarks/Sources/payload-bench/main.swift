// payload-bench: validation + decoding throughput per core, per payload version, beside
// Foundation's JSONSerialization parsing the same bytes in the same run. The two are measured
// in alternating rounds on the same slices, and the ratio is the median of the rounds' ratios.
//
//   payload-bench TRAFFIC.ndjson
import BenchInput
import Foundation
import Payloads

let arguments = BenchInput.arguments("payload-bench", operands: ["TRAFFIC.ndjson"])
let lines = BenchInput.lines("payload-bench", path: arguments[0])

/// PAYLOAD_BENCH_SECONDS lengthens each measurement (for profiling); default 1.
let secondsPerMeasurement = ProcessInfo.processInfo.environment["PAYLOAD_BENCH_SECONDS"].flatMap(Double.init) ?? 1

/// A measured rate: MB/s and payloads/s.
typealias Throughput = (megabytes: Double, payloads: Double)

/// Runs `body` over `payloads` enough times for `seconds`.
func measure(_ payloads: [[UInt8]], seconds: Double = secondsPerMeasurement, _ body: ([UInt8]) -> Bool) -> Throughput {
    let bytes = payloads.reduce(0) { $0 + $1.count }
    var rounds = 0
    var failures = 0
    for payload in payloads { _ = body(payload) }  // warm-up: caches, allocator, parser buffers
    let start = now()
    repeat {
        for payload in payloads where !body(payload) { failures += 1 }
        rounds += 1
    } while now() - start < seconds
    let elapsed = now() - start
    precondition(failures == 0, "\(failures) payloads failed")
    return (Double(bytes * rounds) / elapsed / 1e6, Double(payloads.count * rounds) / elapsed)
}

/// PAYLOAD_BENCH_ONLY_OURS=1 skips the peer (for profiling).
let onlyOurs = ProcessInfo.processInfo.environment["PAYLOAD_BENCH_ONLY_OURS"] != nil

/// Our throughput beside the peer's on the same payloads, measured in alternating rounds so a
/// change in the machine's speed during the run (±35% on this shared host) affects both alike.
struct Comparison {
    /// Median over the rounds.
    var ours: Throughput
    /// The peer's median MB/s, the median of the rounds' ratios (ours / theirs in MB/s) and
    /// their lowest and highest; nil when the peer was skipped.
    var peer: (megabytes: Double, ratio: Double, low: Double, high: Double)?
}

/// PAYLOAD_BENCH_ROUNDS alternating rounds (default 9), each on its own slice of `payloads`,
/// measuring both on it for `secondsPerMeasurement` shared among the rounds (at least 0.2 s);
/// which runs first alternates from round to round. Ours alone, in one measurement, when
/// `onlyOurs`.
func compare(_ payloads: [[UInt8]], ours: ([UInt8]) -> Bool, theirs: ([UInt8]) -> Bool) -> Comparison {
    guard !onlyOurs else { return Comparison(ours: measure(payloads, ours), peer: nil) }
    let rounds = min(payloads.count, max(1, ProcessInfo.processInfo.environment["PAYLOAD_BENCH_ROUNDS"].flatMap(Int.init) ?? 9))
    let seconds = max(0.2, secondsPerMeasurement / Double(rounds))
    var samples: [(ours: Throughput, theirs: Double)] = []
    for round in 0..<rounds {
        let slice = Array(payloads[payloads.count * round / rounds..<payloads.count * (round + 1) / rounds])
        if round % 2 == 0 {
            let a = measure(slice, seconds: seconds, ours)
            samples.append((a, measure(slice, seconds: seconds, theirs).megabytes))
        } else {
            let b = measure(slice, seconds: seconds, theirs).megabytes
            samples.append((measure(slice, seconds: seconds, ours), b))
        }
    }
    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    let ratios = samples.map { $0.ours.megabytes / $0.theirs }
    return Comparison(
        ours: (median(samples.map(\.ours.megabytes)), median(samples.map(\.ours.payloads))),
        peer: (median(samples.map(\.theirs)), median(ratios), ratios.min()!, ratios.max()!))
}

/// The peer: Foundation parsing the same bytes into its object graph.
let jsonSerialization = { (payload: [UInt8]) in (try? JSONSerialization.jsonObject(with: Data(payload))) != nil }

/// The valid lines in file order, and by version.
var all: [[UInt8]] = []
var byVersion = [UInt8: [[UInt8]]]()
for line in lines {
    guard let version = try? PayloadValidator.validate(line, route: nil).version else { continue }
    all.append(line)
    byVersion[version.rawValue, default: []].append(line)
}
print("version  payloads  avg bytes   sessionlog MB/s  payloads/s   JSONSerialization MB/s   ratio (rounds' low-high)")
for version in [UInt8(3), 2, 1] {
    guard let payloads = byVersion[version], !payloads.isEmpty else { continue }
    let route = PayloadVersion(rawValue: version)!
    let result = compare(payloads, ours: { (try? PayloadValidator.validate($0, route: route)) != nil }, theirs: jsonSerialization)
    let bytes = payloads.reduce(0) { $0 + $1.count }
    let peer = result.peer.map { String(format: "   %22.1f   %5.1fx (%.1f-%.1f)", $0.megabytes, $0.ratio, $0.low, $0.high) } ?? ""
    print(
        String(
            format: "v%d      %8d  %9.0f   %15.0f  %10.0f", Int(version), payloads.count, Double(bytes) / Double(payloads.count),
            result.ours.megabytes, result.ours.payloads) + peer)
}
let parseOnly = measure(all) { (try? JSONParser.parse($0[...])) != nil }
// The ingress's path (`check`: every check, keeping only the verdict) on all lines in file order.
let checkAll = measure(all) { (try? PayloadValidator.check($0[...], route: nil)) != nil }
print(String(format: "all lines: parse only (strict I-JSON, no decoding) %.0f MB/s, check only %.0f MB/s", parseOnly.megabytes, checkAll.megabytes))
// The projectors' path on mixed traffic in file order, each line's own `v` choosing; with one
// version only, its row above already says it.
if byVersion.count > 1 {
    let mixed = compare(all, ours: { (try? PayloadValidator.validate($0[...], route: nil)) != nil }, theirs: jsonSerialization)
    let peer = mixed.peer.map { String(format: ", JSONSerialization %.1f MB/s, ratio %.1fx (%.1f-%.1f)", $0.megabytes, $0.ratio, $0.low, $0.high) } ?? ""
    print(String(format: "mixed traffic, in file order: validate + decode %.0f MB/s", mixed.ours.megabytes) + peer)
}
