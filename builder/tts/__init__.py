"""Speech engines: one base class (`base.TTSEngine`), one module per backend."""
