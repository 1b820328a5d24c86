"""The ``os1`` command line: thin edges that parse, call the engine and format."""
