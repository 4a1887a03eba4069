"""Bots room: the conversation engine, flows, channels and message catalogues."""
