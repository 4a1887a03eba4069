"""Tests of the platform channels."""
