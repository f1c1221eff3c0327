from tests.builder.avatar.conftest import SMALL, small_avatar

__all__ = ["SMALL", "small_avatar"]
