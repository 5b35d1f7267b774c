"""Transparent PNGs as pure functions on numpy arrays: `chroma` (one matte), `dual` (black and
white mattes), `verify` (the quality gate), `pipeline` (the operations the tasks call), with
`imageio`, `color`, `components` and `sourcecheck` as helpers. No grpc, no job machinery.
"""
