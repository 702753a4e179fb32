import Payloads

/// Validation for offline inputs (`import`, `validate`), where each line's own `v` picks the schema.
enum LineValidation {
    static func verdict(_ line: ArraySlice<UInt8>, limits: PayloadLimits) -> Result<PayloadVersion, PayloadError> {
        Result { () throws(PayloadError) in try PayloadValidator.check(line, route: nil, limits: limits).version }
    }
}
