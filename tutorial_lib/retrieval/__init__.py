"""Chapter 7: a CLIP-style dual encoder for search, zero-shot classification and tagging."""
