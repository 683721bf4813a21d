"""One package per accounting tool (integrations.providers.<key>), each with the same few modules.

See docs/integrations.md for the contract and the checklist for adding a provider.
"""
