"""The Kiro provider (Amazon Q Developer / CodeWhisperer behind the Kiro IDE's logins)."""
