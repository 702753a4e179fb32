/// A failure a command reports as its text alone, without a usage line: the arguments were
/// well-formed, but the data they name is not as the command needs it (a missing build, a
/// missing file). Arguments that are malformed are `ValidationError`s, thrown from `validate()`.
struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
