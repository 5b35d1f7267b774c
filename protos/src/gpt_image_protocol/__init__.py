"""Shared client library for the gpt_image.v1 contract.

Holds what every surface needs and nothing more: paths and engine addresses
(`paths`, `address`), channels with auth (`channel`), the error-code registry
and the coded error type (`codes`, `errors`, `rpc_errors`), the one mapping from
the typed messages to the JSON users see (`jsonshape`, on the lossless value tree of
`jsonvalue`; `events` for event records), the service stubs (`stubs`) and chunked
upload (`uploads`). Generated code lives in the `gpt_image.v1` package beside this one.
"""

__version__ = "0.1.0"
