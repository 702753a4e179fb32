import Dispatch
import Foundation

/// Turns SIGTERM and SIGINT into a call of `handler` (on a dispatch queue) instead of killing
/// the process, so commands can stop cleanly. Keep it alive for as long as the trap should hold.
final class SignalTrap {
    private let sources: [any DispatchSourceSignal]

    init(_ handler: @escaping @Sendable () -> Void) {
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }

    func cancel() { sources.forEach { $0.cancel() } }
}
