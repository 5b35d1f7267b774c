"""Image providers behind one interface (`base`): OpenAI, OpenAI-compatible and Codex.

`base` holds the seam: `Provider` (one attempt per call), the `ProviderContext` a provider
reports through, `Capabilities` and the per-kind settings; `selection` resolves which provider
and credentials a call uses, `capabilities` checks a job's options against what it declares,
`registry` builds the provider for a kind and runs work on it (retries wrapped around each
call, `n` batched where the provider has no native `n`), `retry` holds the backoff policy,
`transport` the cancellable HTTP sends, `sources` input images, `codex_auth` the Codex login.
"""
