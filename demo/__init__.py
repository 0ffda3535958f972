"""The demo district of API.md, seeded by ``make run`` / ``make seed`` (``server.py seed``), the
tests that are about the demo (``tests/demo/``) and the benchmarks.

``seed`` builds the district (schools, calendar, timetable, people, lessons with their marks and
grades), ``data`` holds its names, subjects and texts, ``chats`` and ``notices`` the chats and
the notice board every demo login finds. It writes through the domain (``resolvers/``) where the
domain has a service for it, and is never imported by the domain or the schema."""
