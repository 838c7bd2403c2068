#!/usr/bin/env python
"""Django's command-line utility. ``platform/`` and ``workers/`` are source roots (no __init__.py)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main() -> None:
    for source_root in ("platform", "workers"):
        path = str(ROOT / source_root)
        if path not in sys.path:
            # appended, never prepended: the standard library's `platform` must win
            sys.path.append(path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shipyard.config.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
