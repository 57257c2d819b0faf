"""`Provenance`: when, by which fnet-keras and by what command a saved result was made. Pure Python."""

from __future__ import annotations

import dataclasses
from typing import Any

from fnet_keras._version import __version__
from fnet_keras.atomic import utc_timestamp


@dataclasses.dataclass(kw_only=True)
class Provenance:
    """The fields every saved report carries; a result dataclass inherits them (keyword-only, so they
    follow its own fields). Left out, `created` is now and `package_version` this fnet-keras.

    Attributes:
        created: ISO-8601 UTC time, e.g. "2026-11-30T03:12:48Z".
        package_version: the fnet-keras version that made the result.
        command: the command line, if the CLI (or a script) ran it.
    """

    created: str = dataclasses.field(default_factory=utc_timestamp)
    package_version: str = __version__
    command: str | None = None

    def provenance_dict(self) -> dict[str, Any]:
        """The three fields as the JSON documents record them."""
        return {"created": self.created, "package_version": self.package_version, "command": self.command}

    def provenance_line(self) -> str:
        """'created <time> by fnet-keras <version>', as the Markdown reports say it."""
        return f"created {self.created} by fnet-keras {self.package_version}"
