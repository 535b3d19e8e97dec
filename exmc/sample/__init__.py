"""NUTS with Stan's warmup; the chunked, multi-chain driver; ``sample`` and ``sample_stream``."""

from exmc.sample.api import sample, sample_stream
from exmc.sample.driver import Batch

__all__ = ["sample", "sample_stream", "Batch"]
