"""`python -m stance` is the `stance` command."""

from stance.cli import app

app(prog_name="stance")
