"""The Amazon Kiro backend: `eventstream` (AWS binary frames, CRC-checked) and `events` (Kiro
events -> ir events) decode the answer; `payload` builds the request."""
