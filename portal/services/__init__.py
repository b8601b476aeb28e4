"""The guarded service layer: every query and every access decision lives here.

Each function takes keyword arguments only, an explicit SQLModel session, and (where someone
is acting) the `Actor` re-read from the server-side session for this event. Services never
import Reflex.
"""
