"""Page functions and shared components. Pages render state; they never touch the database."""
