"""Rewards room: rules, reward journal, levels, badges, Alytus Passport (not built yet)."""
