"""Record id generators (``id_generator`` setting)."""
import re
import uuid
from typing import Any
from uuid import uuid4  # noqa: F401  (a Cliquet 3.1 public name of this module)


class Generator:
    """Base class of id generators.

    Subclasses implement :meth:`__call__` and may override ``regexp``, the
    pattern that valid ids (generated or client-provided) match.

    :param config: the Pyramid configurator, for generators needing settings.
    """

    regexp = r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$"

    def __init__(self, config: Any = None) -> None:
        self.config = config
        self._regexp: re.Pattern[str] | None = None
        generated = self()
        assert self.match(generated), f"Generated id {generated!r} does not match {self.regexp}"

    def match(self, record_id: Any) -> bool:

        """Tell whether ``record_id`` is a valid id for this generator."""
        if self._regexp is None:
            self._regexp = re.compile(self.regexp)
        return isinstance(record_id, str) and bool(self._regexp.fullmatch(record_id))

    def __call__(self) -> str:
        """Return a new id."""
        raise NotImplementedError


class UUID4(Generator):
    """Random lowercase canonical UUIDs (any UUID version is accepted)."""

    regexp = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

    def __call__(self) -> str:
        return str(uuid.uuid4())
