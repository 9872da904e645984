"""The shared mailboxes mailwarden looks after: their servers, and how we log in to them."""
