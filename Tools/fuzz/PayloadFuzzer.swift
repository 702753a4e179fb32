// libFuzzer entry point for the payload validator: every input, under every route, must get a
// verdict (a payload or a PayloadError) — never a crash, hang or sanitizer report —, checking
// (`PayloadValidator.check`) must give the same verdict or error as decoding, and where
// simdjson's fast path accepts, the reference parser must accept the same value.
// Built and run by Tools/fuzz/run.sh.
// Compiled into the Payloads module by run.sh (no import needed).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPayload(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = count == 0 ? [] : Array(UnsafeRawBufferPointer(start: start, count: count))
    if let fast = SimdJSONTape.document(bytes[...], depthMax: JSONParser.depthMaxDefault) {
        precondition((try? JSONParser.parseReference(bytes)) == fast, "the fast path and the reference parser disagree")
    }
    for route in [nil] + PayloadVersion.allCases.map(Optional.some) {
        let checked = Result { () throws(PayloadError) in try PayloadValidator.check(bytes[...], route: route) }
        do {
            let payload = try PayloadValidator.validate(bytes, route: route)
            if case .v3(let session) = payload { precondition(session.acknowledgedCheckpoint >= session.checkpoint) }
            precondition(checked == .success(payload.verdict), "checking and decoding disagree on a valid payload")
        } catch {
            precondition(!error.message.isEmpty, "a rejection without a message")
            precondition(checked == .failure(error), "checking and decoding disagree on a rejection")
        }
    }
    return 0
}
