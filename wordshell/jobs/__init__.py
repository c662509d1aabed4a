"""Background jobs: child processes whose status lives in the store, so any terminal sees them.

    manager.py  JobManager: start (python -m wordshell.jobs.worker), list, get, cancel, wait
    status.py   Job and job.json: read, write atomically, is the worker still alive (pid + start time)
    worker.py   the job process: runs the command through the CLI tree, reports into job.json
"""
