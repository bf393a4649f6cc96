"""The follower machinery: projections, the loop that feeds them, positions, caches."""
