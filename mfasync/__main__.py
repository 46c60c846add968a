"""`python -m mfasync`: the same entry point as the `mfasync` command."""

from mfasync.cli import main

if __name__ == "__main__":
    main.main()
