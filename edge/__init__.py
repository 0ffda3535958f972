"""The process's edge: what stands between the domain and the world outside the process.

Here: configuration from the environment (``settings``), log output (``logs``), Prometheus
metrics (``metrics``), a request's intake before GraphQL sees it (``intake``: its id, its size
and CSRF rules, its JSON) and the persisted documents it may name (``persisted``), rate limits
(``ratelimit``) and the per-user socket cap (``socket_counts``), the channels that deliver
e-mail and SMS (``channels``) and fault injection for the fault tests (``faults``).
``server.py`` wires them together.

Not here: who sees what, what a write does and how data is loaded — the domain, in
``resolvers/`` (its policy, services and loaders); the GraphQL types, in ``schema/``; and the
one clock (``resolvers/core.py``), which the domain reads at every step and tests set, so it
stays beside the domain. The domain may read the edge (a setting, a counter, a limit); nothing
here decides visibility."""
