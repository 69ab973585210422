"""The junheng service: an HTTP API (FastAPI) and a web page for policy staff.

    from engine.service import create_app
    app = create_app()            # compiles every rule set of the bundled packs once

`junheng serve` runs it with uvicorn; docs/SERVICE.md describes the endpoints.
"""

from __future__ import annotations

from engine.service.app import create_app
from engine.service.limits import Limits

__all__ = ["Limits", "create_app"]
