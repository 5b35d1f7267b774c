"""`gpt-image-2-skill`: the command line, a thin gRPC client of the gpt-image-2 engine.

It parses flags, validates them, forwards per-call options, renders the job
event stream and writes downloaded outputs; all real work happens in the engine.
"""
