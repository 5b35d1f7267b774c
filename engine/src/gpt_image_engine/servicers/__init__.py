"""One gRPC servicer per proto service: messages in, typed specs and use-case calls, messages
and coded errors out.

`to_spec` turns work-starting request messages into `tasks.specs` specs (and still reads the
request message jobs kept before specs were stored); `common` holds the shared error
handling and event conversion.
"""
