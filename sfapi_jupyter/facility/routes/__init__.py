"""One router per SF API area."""
