"""Word vectors: the numpy query engine, FastText n-grams, training with gensim, evaluation, formats.

    keyed.py       KeyedVectors: memory-mapped vectors.npy + vocab.txt; most_similar, 3CosMul,
                   similarity, odd-one-out, ranks (scores equal gensim's); save_vectors
    expression.py  parse 'king - man + woman' and 'man:king::woman:?'
    context.py     output ("context") vectors and the Huffman tree: context.npy, hs_*.npy (explain prob)
    ngrams.py      fastText's character n-grams and FNV-1a buckets; OOV vectors in numpy
    train.py       EmbeddingConfig and train_embeddings (gensim Word2Vec / FastText), per-epoch loss
    evaluate.py    analogy accuracy and word-pair similarity, gensim's rules
    formats.py     import/export: word2vec binary/text, GloVe, fastText .bin/.vec

Queries import neither torch nor gensim: only train.py and formats.py import gensim, inside functions.
"""
