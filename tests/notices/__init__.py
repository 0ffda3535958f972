"""Announcements, parent-teacher meetings, notifications and the kinds of events they come from."""
