"""Image providers behind one interface (`base`): OpenAI, OpenAI-compatible and Codex.

`selection` resolves which provider and credentials a call uses, `registry` builds the provider
for a kind and runs a job on it (batching `n` where the provider has no native `n`), `retry`
holds the backoff policy, `transport` the cancellable HTTP sends, `sources` input images,
`codex_auth` the Codex login.
"""
