"""The clock: APScheduler jobs and the delivery of scheduled messages."""
