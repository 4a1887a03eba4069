"""Rewards room: rules, the reward journal, levels, badges, check-ins, the leaderboard, the
mayor's invitation, the Alytus Passport, partners and offers."""
