"""The open read API (``/api/v1/``) and the personal API tokens that open it to signed-in people."""
