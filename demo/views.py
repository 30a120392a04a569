"""The demo's own endpoints."""
