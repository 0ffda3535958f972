"""The Python clients of the API, shared by the tests and the benchmarks (which never import
each other): ``ws``, a minimal graphql-transport-ws client cheap enough to hold thousands of
idle sockets, and ``documents``, the biggest documents a diary client sends.

Beside them, the real client libraries that ``make clients`` runs against a demo server
(``smoke/``: Apollo Client, urql, graphql-ws; ``relay/``: Relay), from npm. Nothing of the
application (``server.py``, ``schema/``, ``resolvers/``, ``edge/``, ``demo/``...) imports this
package: it is a client, and the server's image leaves it out."""
