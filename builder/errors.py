class BuildError(Exception):
    """A permanent failure: retrying will not help. The message is shown to moderators."""


class TransientBuildError(Exception):
    """A failure worth retrying (an endpoint timed out, a GPU was busy)."""


class BuildCancelled(Exception):
    """A moderator cancelled the clip while it was building: stop, keep nothing, fail nothing."""
