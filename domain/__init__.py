"""Pure domain layer: models, rules and date arithmetic. Safe to import in workflow code."""
