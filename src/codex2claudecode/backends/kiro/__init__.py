"""The Amazon Kiro backend. Accounts: `accounts/` (token files, stores) and `auth` (refresh).
Requests: `payload` builds and `lint` checks them, `client` sends them. Decoding the answer:
`eventstream` (CRC-checked AWS frames), then `events` (Kiro events -> ir events), helped by
`thinking_tags`, `tool_input`, `usage` and `stream_errors`."""
