"""Sentence classifiers: labelled data, text encoding, bag and RNN models, training, prediction, metrics.

    labelled.py Labelled: parallel texts and labels
    data.py     read_labelled: files, LABEL=FILE, directories or corpus names -> Labelled; plain text refused
    formats.py  the formats (fastText, TSV/CSV, label-text, one dir or file per class) and sniffing
    text.py     TextEncoder (words -> ids, hashed word n-grams for bag), numpy only
    bag.py      BagClassifier: fastText-style mean of embeddings -> linear
    rnn.py      RNNClassifier: packed (bi)LSTM/GRU/RNN, last/max/mean pooling
    task.py     ClassifierTask: what fit/ trains (batches, cross-entropy, accuracy)
    train.py    ClassifierOptions and train_classifier: data -> vocabulary -> model -> fit -> the store
    predict.py  load a stored classifier (bag in numpy, RNNs in torch), probabilities, evaluate
    metrics.py  accuracy, macro-F1, per-class P/R/F1, confusion matrix
"""
