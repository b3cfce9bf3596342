"""Generative adversarial networks: losses, networks, training loops and the 2-D toy."""
