"""Monthly files coming in: reading and checking them, and what an import changes."""
