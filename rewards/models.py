"""Tables of the rewards room (filled in by its first migration)."""

import rewards.passport_models  # noqa: E402,F401  (the passport's tables: same room, own branch)
