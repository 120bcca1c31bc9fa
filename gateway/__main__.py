"""``python -m gateway`` is the same as the ``cellgate`` command."""

from gateway.cli import main

main(prog_name="cellgate")
