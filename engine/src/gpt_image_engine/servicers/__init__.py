"""One gRPC servicer per proto service: messages in, domain calls, messages and coded errors out.

`common` holds the shared error handling and event conversion, `inputs` turns request messages
into domain values, `replay` stores a job's request for retry and resubmit.
"""
