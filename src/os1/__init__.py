"""OS1: a personal AI companion that listens, remembers and knows you."""

__version__ = "0.1.0"
