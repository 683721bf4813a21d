"""REST API of the integrations: invoice copies, connections (read), sync runs, "sync now". Admins only."""
