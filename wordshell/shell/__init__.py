"""The interactive shell (prompt-toolkit) and the batch mode, on the CLI's own command tree.

    repl.py      Shell (prompt, history, toolbar), parse_line, run_batch, run_repl
    complete.py  Tab completion read off the click tree, the store and the model's vocabulary
    lexer.py     colours of the line being typed; the words the shell itself knows (help, quit)
    watcher.py   JobWatcher: job events printed above the prompt, the toolbar's job list
"""
