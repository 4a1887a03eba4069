"""Community room: members, identities, consent, settings and the database everyone uses."""
