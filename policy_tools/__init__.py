"""policy-tools: version, compare and audit clinical medical policies."""

__version__ = "0.1.0"
EXTRACTOR_VERSION = "1.0.0"
