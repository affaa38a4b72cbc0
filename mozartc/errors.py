"""The one error hierarchy of mozartc.

Library code raises a subclass of :class:`MozartError` for bad input; the CLI turns it into a single
line on stderr and exit code 2. Anything else that escapes is a bug (exit 1 with a traceback).

Library messages never name command-line flags. An error about a parameter's value has the
parameter's Python name as ``where`` (``where="seq_len"``); a message that tells the user which
parameter to change spells it in backticks as a Python call would (`` `capacity='warn'` ``,
`` `micro_batch` ``). The CLI shows the flag of its command instead (``--seq-len``,
``--capacity warn``): :func:`mozartc.cli._common.error_line`.
"""

from __future__ import annotations


class MozartError(Exception):
    """Bad input: a file, option or request mozartc cannot accept.

    ``where`` names the place (``file:line:col``, a file and key path, an option name); the message
    says what was expected. ``str()`` gives the one line the CLI prints.
    """

    def __init__(self, message: str, where: str | None = None, detail: str | None = None) -> None:
        self.message = message
        self.where = where
        self.detail = detail
        super().__init__(self.__str__())

    def __str__(self) -> str:
        head = f"{self.where}: {self.message}" if self.where else self.message
        return head


class ParseError(MozartError):
    """Text (IR, instruction stream, pipeline string) that does not follow its grammar."""


class VerifyError(MozartError):
    """A structurally valid IR or stream that breaks an invariant (shapes, SSA, attributes)."""


class FrontendError(MozartError):
    """A model (preset, config.json, user module) that cannot be captured."""


class TargetError(MozartError):
    """A hardware target file that is malformed or infeasible."""


class TraceError(MozartError):
    """A routing-trace file that is malformed or does not match the model."""


class PassError(MozartError):
    """An unknown pass, a bad pass option, or a pass request that cannot be satisfied."""


class CapacityError(MozartError):
    """A training step that does not fit the target's memory."""


class BackendError(MozartError):
    """An unknown backend or a backend that cannot emit for this module/target."""


class MozartWarning(UserWarning):
    """Something the user should know that does not stop the work (the CLI's ``mozartc: warning:``
    lines): a layer streamed in tiles, a capacity overflow recorded with ``capacity='warn'``."""
