"""The ``cellgate`` command line (DESIGN.md section 4)."""
