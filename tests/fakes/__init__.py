"""Local stand-ins for outside services, real servers on loopback."""
