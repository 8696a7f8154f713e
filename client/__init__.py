"""Talking to Temporal from outside the worker: the connection, the catalogue of staff
actions, starting and acting on alliance workflows, reading their state.

The operator CLI (`admin/`), `starter.py` and the web console (`web/`) all go through
this package, so neither imports the other, nor the worker.
"""
