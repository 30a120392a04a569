"""Former location of the undo log, now :mod:`cliquet._transaction` (same objects)."""
from cliquet._transaction import (  # noqa: F401
    UndoLog,
    _active,
    _armed,
    active_log,
    arm,
    disarm,
    record,
    recording,
)
