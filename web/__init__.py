"""What the app serves to browsers itself: the family app (``web/family.py``, at ``/``) and
GraphiQL (``web/graphiql.py``, development only)."""
