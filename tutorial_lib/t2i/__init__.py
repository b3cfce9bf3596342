"""Text to image: conditioning a generator on a caption, and judging what it draws."""
