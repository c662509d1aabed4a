"""Word vectors: the numpy query engine, n-grams, training (gensim), evaluation, file formats."""
