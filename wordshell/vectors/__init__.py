"""Word vectors: the numpy query engine, FastText n-grams, training with gensim, evaluation, formats.

    keyed.py        KeyedVectors: memory-mapped vectors.npy + the word lookup; most_similar, 3CosMul,
                    similarity, odd-one-out, ranks (scores equal gensim's); save_vectors, write_vocab
    vocab.py        the stored word lookup (offsets + sorted hashes, memory-mapped); ListVocab for old models
    scan.py         matvec (the scan of a query over the matrix) and row norms
    blas.py         numpy's OpenBLAS without numpy: one thread per scan thread, the scan's row ranges,
                    the CBLAS routines of the lean path
    lean.py         the one-shot `similar WORD` without numpy: .npy headers, the lookup, the scan and
                    the top N through OpenBLAS (same bits as keyed.py; entry.py calls it)
    expression.py   parse 'king - man + woman' and 'man:king::woman:?'
    context.py      output ("context") vectors and the Huffman tree: context.npy, hs_*.npy (explain prob)
    ngrams.py       fastText's character n-grams and FNV-1a buckets; OOV vectors in numpy
    evaluate.py     analogy accuracy and word-pair similarity, gensim's rules

  training
    train.py        EmbeddingConfig and train_embeddings (gensim Word2Vec / FastText), per-epoch loss
    engine.py       which engine trains: gensim, or torch (auto: torch when CUDA is present)
    vocab_ids.py    the torch engine's corpus: gensim's vocabulary rules, token ids, subsampling/noise tables
    torch_engine.py word2vec.c / fastText updates for a batch: gathers, pair gradients, index_add_
    torch_fused.py  the same updates as Triton kernels on CUDA (one program per example);
                    torch_fused_kernels.py holds the kernels
    torch_batches.py examples made on the device: subsampling, reduced windows, pairs, noise words
    torch_loop.py   the torch engine's loop: linear alpha decay, progress, checkpoints, DDP sync points
    torch_sync.py   DDP: the rows each process changed, summed across processes
    torch_ckpt.py   checkpoints: tables + run state in one safetensors file
    torch_train.py  train_torch: corpus -> ids -> loop (or N processes) -> the store

  import, export, download
    formats.py      import/export entry points: format detection, word2vec binary/text, GloVe, fastText
    importer.py     the streaming import: VectorSink (rows into vectors.npy), Collector (the rules)
    readers.py      text and word2vec-binary readers (numpy parsing in worker processes)
    fasttext_bin.py fastText .bin as a stream; vectorised n-gram hashing to compose word vectors
    catalog.py      pretrained vectors to download (gensim-data, fastText) with sizes/checksums/licenses
    fetch.py        resumable HTTP download (Range), checksum, atomic placement
    ann.py          optional faiss index (`models index`) and the approximate `similar`

Queries import neither torch nor gensim: only train.py imports gensim (inside functions), the torch_*
modules import torch inside functions; faiss only when an index is built or used.
"""
