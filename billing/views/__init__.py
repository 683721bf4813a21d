"""Server-rendered billing pages, one module per area. Views are thin: forms check input, services write."""
