import Foundation

/// Why a payload was refused: a SPEC §1.4 code, the JSON path of the offending value, a message.
struct PayloadRejection: Error, Equatable {
    var code: String
    var path: String
    var message: String
}

/// The import-time acceptance rule of the log issue: a line is accepted when it is a JSON object
/// whose `v` is 1, 2 or 3. (Full schema validation is the payload module's job.)
enum PayloadGate {
    static func version(of payload: ArraySlice<UInt8>) -> Result<UInt8, PayloadRejection> {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(payload), options: [.fragmentsAllowed])
        } catch {
            return .failure(PayloadRejection(code: "invalid_json", path: "", message: "not valid JSON"))
        }
        guard let members = object as? [String: Any] else {
            return .failure(PayloadRejection(code: "wrong_type", path: "", message: "a payload must be a JSON object"))
        }
        guard let v = members["v"], !(v is NSNull) else {
            return .failure(PayloadRejection(code: "missing_field", path: "v", message: "v (1, 2 or 3) is required"))
        }
        // Booleans bridge to NSNumber too; on Linux their objCType is "c".
        guard let number = v as? NSNumber, String(cString: number.objCType) != "c",
            let version = UInt8(exactly: number.doubleValue), (1...3).contains(version)
        else {
            return .failure(PayloadRejection(code: "invalid_value", path: "v", message: "v must be 1, 2 or 3"))
        }
        return .success(version)
    }
}
