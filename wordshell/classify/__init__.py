"""Sentence classifiers: labelled data, text encoding, bag and RNN models, training, prediction, metrics."""
