"""`python -m stance` is the `stance` command."""

from stance.cli.entry import main

main()
