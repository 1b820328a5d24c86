"""Plain data types shared by every layer. Imports nothing else from os1 and does no I/O."""
