"""Corpora: where text comes from, how it is read and tokenised."""
