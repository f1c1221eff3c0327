"""Text made ready for speech: clean-up and sentence chunking."""
