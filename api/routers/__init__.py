"""The routes of the HTTP service, one module per area (included by `api.app.create_app`)."""
