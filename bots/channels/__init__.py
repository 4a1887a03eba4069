"""Channel adapters: each converts one platform's messages to Incoming and Replies back."""
