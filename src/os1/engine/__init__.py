"""The conversation engine: Sessions, turns and the first meeting."""
