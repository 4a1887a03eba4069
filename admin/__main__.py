"""`python -m admin` is the `alytus` command."""

from admin.cli import app

app()
