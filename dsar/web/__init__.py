"""Request-cycle plumbing: what every HTTP request goes through, whatever its view."""
