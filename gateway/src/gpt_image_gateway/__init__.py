"""gpt-image-2 web gateway: a Flask app over the engine's gRPC contract.

`create_app(engine_client)` builds the app; `serve.main` runs it under waitress.
The gateway keeps no state of its own; the engine is the only writer.
"""

__version__ = "0.1.0"
