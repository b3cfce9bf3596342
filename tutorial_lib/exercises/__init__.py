"""Auto-checkers for the exercises: one module per chapter, one `check_*` function per exercise.

A checker never raises on a wrong answer (a learner's notebook should keep running); it returns a
CheckResult that prints as a tick or a hint, and is truthy only when the answer is right.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one check: passed or not, and a message for the learner."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return ("✔ correct: " if self.passed else "✘ not yet: ") + self.message

    def _repr_markdown_(self) -> str:
        return ("**✔ correct:** " if self.passed else "**✘ not yet:** ") + self.message


def attempt(fn, *args):
    """(the learner's answer, None) or (None, a hint saying what it raised)."""
    try:
        return fn(*args), None
    except Exception as err:  # a learner's bug becomes a hint, not a traceback
        return None, f"your function raised {type(err).__name__}: {err}"


def passed(message: str) -> CheckResult:
    return CheckResult(True, message)


def failed(hint: str) -> CheckResult:
    return CheckResult(False, hint)
