"""The command line: the fast path and the Typer app, each command's body, options, where output
and errors go. Imports anything; nothing imports it."""
