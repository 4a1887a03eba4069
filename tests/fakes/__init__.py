"""Local stand-ins for platform APIs (they speak the documented protocols)."""
