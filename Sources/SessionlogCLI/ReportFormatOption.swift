import ArgumentParser

/// `--format table|json` of the commands that print a report (`inspect`, `status`): a table for
/// people, by default, or one JSON document for scripts.
struct ReportFormatOption: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Option(help: "Output format: table or json.")
    var format: Format = .table
}
