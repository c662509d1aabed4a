"""The interactive shell: the prompt-toolkit loop, completion, colours, the job watcher."""
