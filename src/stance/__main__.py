"""`python -m stance` is the `stance` command."""

from stance.cli.main import app

app(prog_name="stance")
