"""Helpers shared by the test suites: data factories, the live server, and a raw client."""
