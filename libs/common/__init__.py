"""Code shared by every Comptoir service: settings, logging, database, messages, broker plumbing."""
