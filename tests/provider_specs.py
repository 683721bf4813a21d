"""Where the official provider specs and fixtures are: `shared/provider-specs/` beside the checkout.

Tests read them from there (never from a copy in this repository) and skip their spec checks with a clear reason
when the folder is absent. PROVIDER_SPECS_DIR overrides the location.
"""

import os
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent


def _find() -> Path:
    if os.environ.get("PROVIDER_SPECS_DIR"):
        return Path(os.environ["PROVIDER_SPECS_DIR"])
    candidates = [
        _REPO.parent / "shared" / "provider-specs",
        "/work/shared/provider-specs",  # the team machine's layout, when the checkout lives elsewhere
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return _REPO.parent / "shared" / "provider-specs"


PROVIDER_SPECS_DIR = _find()
