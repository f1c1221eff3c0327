"""Chat in: sources (Twitch EventSub, JSONL replay), prescreen, priority, batched ingest."""
