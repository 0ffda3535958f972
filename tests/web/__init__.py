"""The family app (``web/family.py``, ``web/app``)."""
