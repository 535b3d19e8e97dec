"""NUTS with Stan's warmup; the chunked, multi-chain driver; ``sample`` and ``sample_stream``."""

from exmc.sampler.api import sample, sample_stream
from exmc.sampler.driver import Batch, SamplerState

__all__ = ["sample", "sample_stream", "Batch", "SamplerState"]
