"""mfasync's benchmarks: a harness that measures the product against its targets (issue 7).

Run `python -m bench.run all --quick` (or one benchmark: rate, sdk, economy, scale). Everything
talks only to emulators this harness starts on 127.0.0.1. Benchmarks measure and report; they
must not assert timings in the test suite, and they never print a secret or a full phone number.
"""
