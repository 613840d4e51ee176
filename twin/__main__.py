"""``python -m twin``: the r2r command line."""

from twin.cli import main

main()
