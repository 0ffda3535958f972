"""The demo district (``demo/``): what ``make run`` shows."""
