"""Rewards room: rules, the reward journal, levels, badges and the Alytus Passport (not built yet)."""
