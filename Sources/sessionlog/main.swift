import SessionlogCLI

await SessionlogCommand.runFromCommandLine()
