"""LLM-assisted generation: free-form request -> canonical caption -> images -> caption back."""
