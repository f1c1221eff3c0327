import pytest


@pytest.fixture
def fresh_engines():
    """Engines are built once per process and kept (builder/engines.py): a test that changes the
    settings they are built from gets new ones, and leaves none of its own behind."""
    from builder import engines

    engines._llm.cache_clear()
    engines._tts.cache_clear()
    yield
    engines._llm.cache_clear()
    engines._tts.cache_clear()
