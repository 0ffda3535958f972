"""Chats, their events, and whom a viewer may add to one (people search)."""
