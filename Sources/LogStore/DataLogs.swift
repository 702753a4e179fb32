/// The two logs of a data directory, opened for writing together: the main log and the
/// quarantine log (same options, `LogKind` set for each). If the second cannot be opened, the
/// first is closed again (its lock released) before the error is thrown.
public struct DataLogs: Sendable {
    public let main: LogWriter
    public let quarantine: LogWriter

    public static func open(logPath: String, rejectedPath: String, options: LogWriterOptions) throws -> DataLogs {
        var options = options
        options.kind = .main
        let main = try LogWriter.open(directory: logPath, options: options)
        options.kind = .quarantine
        do {
            return DataLogs(main: main, quarantine: try LogWriter.open(directory: rejectedPath, options: options))
        } catch {
            main.closeBlocking()
            throw error
        }
    }

    public func close() async {
        await main.close()
        await quarantine.close()
    }

    /// `close()` for synchronous error paths.
    public func closeBlocking() {
        main.closeBlocking()
        quarantine.closeBlocking()
    }

    /// Recovery reports worth telling the operator about (a truncated tail, rebuilt indexes).
    public var notableRecoveries: [String] {
        [main, quarantine].filter { $0.recovery.truncation != nil || !$0.recovery.rebuiltIndexes.isEmpty }
            .map { "\($0.directory.path): \($0.recovery)" }
    }
}
