"""Long-term memory: episodes (every utterance), facts learned from them, summaries; hybrid recall."""
