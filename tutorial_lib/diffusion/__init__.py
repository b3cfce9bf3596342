"""Chapter 8: a text-conditional diffusion model (Hugging Face diffusers) on the shapes world."""
