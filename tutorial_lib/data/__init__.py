"""Datasets of the course: the captioned shapes world and real MNIST digits."""
