"""wordshell: a terminal workbench for word vectors and small language models.

Nothing heavy is imported here: `wordshell --help` and queries on stored vectors
must start without torch or gensim.
"""

__version__ = "0.1.0"
