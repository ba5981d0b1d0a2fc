"""policy-tools: version, compare and audit clinical medical policies."""

from .version import EXTRACTOR_VERSION, __version__

__all__ = ["EXTRACTOR_VERSION", "__version__"]
