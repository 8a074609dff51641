"""Outgoing mail: composing messages, the SMTP transport, and the local mailbox of the demo."""
