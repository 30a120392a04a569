"""Exceptions raised by the storage backends.

::

    Exception
     ├── BackendError          a backend failure (HTTP 503)
     └── RecordNotFoundError   no live record with that id
    IntegrityError (BackendError)
     └── UnicityError          a unique field collides with another record (HTTP 409)
"""
from typing import Any


class BackendError(Exception):
    """A backend failure, wrapping the driver exception in ``original``.

    :param original: the exception raised by the driver, if any.
    :param message: defaults to ``"<OriginalClass>: <original>"``.

    Extra keyword arguments are accepted and ignored, as in Cliquet 3.1.
    """

    def __init__(self, original: Exception | None = None, message: str | None = None,
                 *args: Any, **kwargs: Any) -> None:
        self.original = original
        if message is None and original is not None:
            message = f"{original.__class__.__name__}: {original}"
        super().__init__(message, *args)


class RecordNotFoundError(Exception):
    """No live record matches the requested id."""


class IntegrityError(BackendError):
    """A write would break an integrity rule."""


class UnicityError(IntegrityError):
    """A unique field value collides with another live record.

    :param field: the conflicting field name.
    :param record: the existing record holding that value.
    """

    def __init__(self, field: str, record: dict, *args: Any, **kwargs: Any) -> None:

        self.field = field
        self.record = record
        self.msg = f"{field} is not unique: {record}"
        super().__init__(None, self.msg, *args)
