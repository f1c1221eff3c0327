"""Dashboard pages and actions, one module per area. Thin: look up, check, call a service, answer."""
