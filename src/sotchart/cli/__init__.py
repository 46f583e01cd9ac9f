"""The `sotchart` command line: thin Typer commands over the services."""
