"""Background jobs: the manager that starts them, their status on disk, the worker process."""
