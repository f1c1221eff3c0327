"""Answer engines: one base class (`base.LLMEngine`), one module per backend."""
