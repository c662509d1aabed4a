"""Pictures: word maps, analogy arrows and training curves.

    projection.py  PCA (numpy SVD, signs fixed) and t-SNE (scikit-learn, seeded)
    wordmap.py     WordMap: points (word, group, vector), arrows; from words or an analogy
    history.py     Chart: curves from a model's training `history`
    terminal.py    draw a WordMap / Chart as text with plotext
    image.py       save a WordMap / Chart as PNG / SVG / PDF with matplotlib (Agg, no display)
    style.py       the colours both renderers share

numpy only at import; plotext, matplotlib and scikit-learn are imported by the
functions that draw or project.
"""
