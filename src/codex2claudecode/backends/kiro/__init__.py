"""The Amazon Kiro backend. Decoding the answer: `eventstream` (CRC-checked AWS frames), then
`events` (Kiro events -> ir events), helped by `thinking_tags`, `tool_input`, `usage` and
`stream_errors`. `payload` builds the request."""
