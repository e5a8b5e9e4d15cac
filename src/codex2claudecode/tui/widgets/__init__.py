"""Small widgets of the TUI: the dashboard and the command prompt."""
