"""Subscriptions end to end: streams, parked live sockets, catch-up, the outbox, socket caps,
several processes sharing Redis."""
