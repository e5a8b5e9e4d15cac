"""What the two OpenAI dialects (`openai_responses`, `openai_chat`) share: the error shape
(`errors`), field-path errors worded as OpenAI words them (`_fields`, `_decode`) and the small
conversions both request parsers make (`_convert`)."""
