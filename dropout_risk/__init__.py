"""dropout-risk: a dropout early-warning service for compulsory education."""

__version__ = "0.1.0"
