"""The pieces of the property-based no-leak test (tests/access/test_no_leaks.py, issue 7): the random
world (``world``), the oracle written apart from resolvers/policy (``oracle``), the read
probes (``reads``), the write probes (``writes``) and the live probes over a socket (``live``)."""
