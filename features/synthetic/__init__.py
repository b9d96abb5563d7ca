"""A realistic synthetic county in the input data contract, for demos, tests and benchmarks."""

from features.synthetic.county import generate_county
from features.synthetic.summary import GenerationSummary

__all__ = ["GenerationSummary", "generate_county"]
