"""`python -m sotchart` runs the same command line as `sotchart`."""

from sotchart.cli.main import main

main()
