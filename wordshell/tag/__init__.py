"""Sequence tagging (POS, NER, chunks): a BiLSTM/BiGRU with character features and a CRF.

    data.py      tagged sentences: CoNLL-U (conllu library), CoNLL columns, word<TAB>tag; bundled samples
    schemes.py   IOB1 / IOB2 / BIOES: spans the CoNLL way, conversions, allowed moves
    vocab.py     TagEncoder: word, character and tag ids (numpy)
    crf.py       the linear-chain CRF (forward algorithm, Viterbi, marginals, constraints)
    model.py     BiRNNTagger + TaggerConfig (kinds: bilstm-tagger, bigru-tagger)
    task.py      the Task fit() trains: batches, loss, dev accuracy / entity F1
    train.py     `train tagger`: TaggerOptions, the run, saving
    predict.py   Tagger (load, tag batches), FormCache, tokenize with offsets, evaluate
    infer.py     the forward pass in numpy (the CPU path: no torch import), Viterbi, marginals
    stream.py    `tag`'s engine: input in batches, rows or CoNLL lines out, in order, flat memory
    metrics.py   accuracy (and on unseen words), span P/R/F1 (conlleval's rules), confusion
"""
