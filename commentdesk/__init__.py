"""commentdesk: pre-moderated reader comments for news publishers."""
