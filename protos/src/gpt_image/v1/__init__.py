"""Generated code for package gpt_image.v1 (do not edit; run make proto)."""
