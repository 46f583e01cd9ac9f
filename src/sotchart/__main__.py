"""`python -m sotchart` runs the same command line as `sotchart`."""

from sotchart.cli import main

main()
