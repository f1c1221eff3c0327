"""Playout: the one long-lived ffmpeg encoder and the `stream` management command."""
