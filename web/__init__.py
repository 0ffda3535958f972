"""What the app serves to browsers itself: GraphiQL (``web/graphiql.py``, development only)."""
