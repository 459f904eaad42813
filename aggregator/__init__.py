"""aggregator: seed files and live feeds in, one clean deduplicated Atom feed per topic out."""

__version__ = "0.1.0"
