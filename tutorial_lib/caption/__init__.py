"""Chapter 5: image captioning with a VisionEncoderDecoderModel (ViT encoder, GPT-2 decoder)."""
