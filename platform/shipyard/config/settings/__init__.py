"""Settings modules: ``base`` (shared), ``dev`` (local default), ``test`` and ``prod``."""
