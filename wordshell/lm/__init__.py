"""Language models: vocabulary and ids, RNN/LSTM/GRU and window models, training, generation, scoring.

    data.py    Vocab (<eos>=0, <unk>=1), prepare (corpus -> train/valid ids), batchify, BPTT windows,
               LMTask (what fit/ trains), nll
    rnn.py     RNNLM: RNN-tanh / LSTM / GRU, stacked, tied, adaptive softmax
    ffnn.py    FFNNLM: Bengio's feed-forward window model
    train.py   LMOptions and train_lm: options -> data -> model -> fit -> the store
    use.py     load_lm (final model or the checkpoint of one in training), generate, score
"""
