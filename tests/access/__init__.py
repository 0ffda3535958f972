"""Who gets in and who sees what: logging in, sessions, the policy's scopes and checks, the
role gates, access ending on every channel, access requests, and the no-leak crawl (its
pieces are ``tests/no_leaks/``)."""
