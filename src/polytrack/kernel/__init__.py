"""The shared kernel. It knows no single API: storage, secrets, tokens, rate limits,
the call log, the clock, renderers, parameter parsing and date helpers."""
