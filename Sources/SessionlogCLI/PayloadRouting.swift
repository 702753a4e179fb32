import Payloads

/// Validation for offline inputs (`import`, `validate`), where each line's own `v` picks the
/// schema: exactly a `/batch` line's checks, its top-level `idempotency_key` included.
enum LineValidation {
    static func verdict(_ line: ArraySlice<UInt8>, limits: PayloadLimits) -> Result<(verdict: PayloadVerdict, idempotencyKey: String?), PayloadError> {
        Result { () throws(PayloadError) in try PayloadValidator.checkBatchLine(line, limits: limits) }
    }
}
