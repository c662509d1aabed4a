"""Word vectors: the numpy query engine, FastText n-grams, training with gensim, evaluation, formats.

    keyed.py       KeyedVectors: memory-mapped vectors.npy + vocab.txt; most_similar, 3CosMul,
                   similarity, odd-one-out, ranks (scores equal gensim's); save_vectors
    expression.py  parse 'king - man + woman' and 'man:king::woman:?'
    ngrams.py      fastText's character n-grams and FNV-1a buckets; OOV vectors in numpy
    train.py       EmbeddingConfig and train_embeddings (gensim Word2Vec / FastText), per-epoch loss
    engine.py      which engine trains: gensim, or torch (auto: torch when CUDA is present)
    vocab_ids.py   the torch engine's corpus: gensim's vocabulary rules, token ids, subsampling/noise tables
    torch_engine.py  word2vec.c / fastText updates for a batch: gathers, pair gradients, index_add_
    torch_batches.py examples made on the device: subsampling, reduced windows, pairs, noise words
    torch_loop.py  the torch engine's loop: linear alpha decay, progress, checkpoints, DDP sync points
    torch_sync.py  DDP: the rows each process changed, summed across processes
    torch_ckpt.py  checkpoints: tables + run state in one safetensors file
    torch_train.py train_torch: corpus -> ids -> loop (or N processes) -> the store
    evaluate.py    analogy accuracy and word-pair similarity, gensim's rules
    formats.py     import/export: word2vec binary/text, GloVe, fastText .bin/.vec

Queries import neither torch nor gensim: only train.py and formats.py import gensim, inside functions;
the torch_* modules import torch inside functions too.
"""
