"""One module per page of the dashboard, each with a ``page()`` function."""
