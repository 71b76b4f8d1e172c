"""Workflows service: event and cron triggered workflows, their runs and steps, the social publication
queue and the scheduled maintenance jobs (docs/workflows.md)."""
