"""Inputs: seed files (seedformat pure, seeds I/O) and, later, live feeds."""
