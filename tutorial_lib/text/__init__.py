"""Text models: tokenizers, language models and sentence encoders."""
