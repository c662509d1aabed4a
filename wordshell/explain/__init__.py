"""The lecture's views, computed on the student's own models (`explain ...`, `compare lm`, `lecture`).

Embeddings (numpy only: no torch, no gensim):
    words.py      one-hot vectors vs dense cosines; a word's character n-grams (the slide's <where>)
    pairs.py      the (centre, context) pairs of skip-gram and CBOW's examples, with word2vec's
                  subsampling and dynamic window
    prob.py       P(o|c) by the full softmax, the negative-sampling objective, the hierarchical
                  softmax path; needs the output vectors (vectors/context.py)

Language models (torch, imported inside the functions):
    cells.py      hand-written RNN/LSTM/GRU steps on a model's own weights (gates, every h_t)
    nextword.py   the next-token distribution p(x_i | x_<i), and what a window model sees
    gradients.py  || d loss_T / d h_t || (or / d e_t) for every position t
    gates.py      per token: LSTM input/forget/output gates and cell norm, GRU update/reset
    compare.py    one table of several language models

The guided lecture:
    lecture.py    the steps (commands) in slide order, which models they need, the pause between steps
"""
