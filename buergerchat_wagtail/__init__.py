"""Bürgerchat for Wagtail: a secure citizen chat for a city's website."""

__version__ = "0.1.0"
