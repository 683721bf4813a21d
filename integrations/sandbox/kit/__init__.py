"""The sandbox kit: what every provider sandbox shares (see integrations/sandbox/README.md)."""
