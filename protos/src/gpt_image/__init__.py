"""Generated gRPC/protobuf code for the gpt_image.v1 contract (see protos/gpt_image/v1)."""
