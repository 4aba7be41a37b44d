"""Touchbase test-suite."""
