"""Pictures: word maps, analogy arrows and training curves.

    projection.py  PCA (numpy SVD, signs fixed) and t-SNE (scikit-learn, seeded)
    wordmap.py     WordMap: points (word, group, vector), arrows; from words or an analogy
    history.py     Chart: curves from a model's training `history` (and its gradient norms)
    sets.py        ready-made word pairs (capitals, tenses, ...) and an analogy file's sections as groups
    terminal.py    draw a WordMap / Chart as text with plotext
    image.py       save a WordMap / Chart as PNG / SVG / PDF with matplotlib (Agg, no display)
    style.py       the colours both renderers share

numpy only at import; plotext, matplotlib and scikit-learn are imported by the
functions that draw or project.
"""
