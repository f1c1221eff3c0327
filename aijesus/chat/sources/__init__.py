"""Where chat comes from. One base class (``base.ChatSource``), one module per backend: ``twitch``
(EventSub through twitchio) and ``replay`` (a JSONL recording). No Django in here: a source hands
``ChatMessage`` / ``Support`` events to a sink (the ingest) and never touches the database."""
