"""Reflex state classes: thin. They parse input, call one service, and keep view data.

Every non-underscore var here is sent to the browser, so it only ever holds what the acting
user may see.
"""
