"""The registry database (read model): tables and sessions."""
