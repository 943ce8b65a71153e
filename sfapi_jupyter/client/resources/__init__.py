"""Handles that do I/O: machines and jobs."""
