"""The API as a client meets it: HTTP and WebSocket transport, the schema and its changes, error
codes and messages, abuse limits and cost, CORS and CSRF, GraphiQL, pagination, nodes and
cursors, statement counts, fuzzing and hostile input, persisted queries."""
