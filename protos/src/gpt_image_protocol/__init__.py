"""Shared client library for the gpt_image.v1 contract.

Holds what every surface needs and nothing more: paths and engine addresses
(`paths`, `address`), channels with auth (`channel`), the error-code registry
and the coded error type (`codes`, `errors`, `rpc_errors`), and event records
(`events`). Generated code lives in the `gpt_image.v1` package beside this one.
"""

__version__ = "0.1.0"
