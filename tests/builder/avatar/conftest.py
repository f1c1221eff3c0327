"""A small built-in sprite set, drawn once per test session (drawing full size takes seconds)."""

import pytest

from builder.avatar.loader import load_sprite_avatar
from builder.media import MediaFormat

SMALL = MediaFormat(width=320, height=180, fps=30)


@pytest.fixture(scope="session")
def small_avatar(tmp_path_factory):
    return load_sprite_avatar("Jesus", tmp_path_factory.mktemp("sprites"), SMALL)
