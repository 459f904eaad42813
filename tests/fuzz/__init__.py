"""Coverage-guided fuzz targets (atheris) for the seed parser, the cleaner and the feed-item path.

Each `fuzz_*.py` is a libFuzzer program: `python tests/fuzz/fuzz_seed.py CORPUS_DIR [flags]`.
`python -m tests.fuzz.run TARGET` builds a starting corpus and runs it (see run.py).
"""
