"""The command line: the composition root, the only place that prints or exits.

Each command lives in its own module here; `main` assembles them into the `mfasync` group.
"""
