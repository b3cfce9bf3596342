"""The token model: an image tokenizer (VQ-VAE) and a GPT that draws by writing its tokens."""
