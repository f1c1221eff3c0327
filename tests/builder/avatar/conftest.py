"""A small built-in sprite set, drawn once for the whole test run (drawing takes seconds)."""

import pytest

from builder.media import MediaFormat
from tests.sprites import load_shared

SMALL = MediaFormat(width=320, height=180, fps=30)


@pytest.fixture(scope="session")
def small_avatar(sprite_cache):
    return load_shared("Jesus", SMALL, sprite_cache)
