"""The pretrained vectors `models download` knows: gensim-data's vector models and fastText's files.

Written from the publishers' own lists (gensim-data's list.json: names, record counts, sizes, md5
checksums, licenses; fastText's crawl-vectors and english-vectors pages: URLs and license). fastText
publishes no checksums and no per-file sizes: those entries are checked by size only when the
server sends one (Content-Length), and say so (`models download --list`).

$WORDSHELL_VECTORS_CATALOG (a JSON file {name: entry}) adds or overrides entries (mirrors, tests).
An entry: url, format (word2vec | word2vec-text | glove | fasttext), dim, words, size (bytes or
None), checksum ('md5:...' or None), license, lang, about.
"""

from __future__ import annotations

import json
import os

from wordshell.errors import BadInput, NotFound

GENSIM = "https://github.com/RaRe-Technologies/gensim-data/releases/download/{0}/{0}.gz"
FT_CC = "https://dl.fbaipublicfiles.com/fasttext/vectors-crawl/cc.{lang}.300.{ext}.gz"
FT_EN = "https://dl.fbaipublicfiles.com/fasttext/vectors-english/{file}"
CC_BY_SA = "https://creativecommons.org/licenses/by-sa/3.0/"

# name, words, size (bytes, .gz), license, md5, format, dim, lang, about   (gensim-data list.json)
_GENSIM = [
    ('fasttext-wiki-news-subwords-300', 999999, 1005007116, 'https://creativecommons.org/licenses/by-sa/3.0/', 'de2bb3a20c46ce65c9c131e1ad9a77af', 'word2vec-text', 300, 'en', '1M words, Wikipedia 2017 + UMBC + statmt news (16B tokens), fastText with subwords'),
    ('conceptnet-numberbatch-17-06-300', 1917247, 1225497562, 'https://github.com/commonsense/conceptnet-numberbatch/blob/master/LICENSE.txt', 'fd642d457adcd0ea94da0cd21b150847', 'word2vec-text', 300, 'multi', 'ConceptNet Numberbatch 17.06 (ConceptNet, word2vec, GloVe, OpenSubtitles, retrofitted)'),
    ('word2vec-ruscorpora-300', 184973, 208427381, 'https://creativecommons.org/licenses/by/4.0/', '9bdebdc8ae6d17d20839dd9b5af10bc4', 'word2vec', 300, 'ru', 'Skip-gram on the Russian National Corpus (250M words), lemmatised + UPoS tags'),
    ('word2vec-google-news-300', 3000000, 1743563840, 'not found', 'a5e5354d40acb95f9ec66d5977d140ef', 'word2vec', 300, 'en', 'Google News (100B words), words and phrases'),
    ('glove-wiki-gigaword-50', 400000, 69182535, 'http://opendatacommons.org/licenses/pddl/', 'c289bc5d7f2f02c6dc9f2f9b67641813', 'word2vec-text', 50, 'en', 'GloVe, Wikipedia 2014 + Gigaword 5 (6B tokens, uncased)'),
    ('glove-wiki-gigaword-100', 400000, 134300434, 'http://opendatacommons.org/licenses/pddl/', '40ec481866001177b8cd4cb0df92924f', 'word2vec-text', 100, 'en', 'GloVe, Wikipedia 2014 + Gigaword 5 (6B tokens, uncased)'),
    ('glove-wiki-gigaword-200', 400000, 264336934, 'http://opendatacommons.org/licenses/pddl/', '59652db361b7a87ee73834a6c391dfc1', 'word2vec-text', 200, 'en', 'GloVe, Wikipedia 2014 + Gigaword 5 (6B tokens, uncased)'),
    ('glove-wiki-gigaword-300', 400000, 394362229, 'http://opendatacommons.org/licenses/pddl/', '29e9329ac2241937d55b852e8284e89b', 'word2vec-text', 300, 'en', 'GloVe, Wikipedia 2014 + Gigaword 5 (6B tokens, uncased)'),
    ('glove-twitter-25', 1193514, 109885004, 'http://opendatacommons.org/licenses/pddl/', '50db0211d7e7a2dcd362c6b774762793', 'word2vec-text', 25, 'en', 'GloVe, 2B tweets (27B tokens, uncased)'),
    ('glove-twitter-50', 1193514, 209216938, 'http://opendatacommons.org/licenses/pddl/', 'c168f18641f8c8a00fe30984c4799b2b', 'word2vec-text', 50, 'en', 'GloVe, 2B tweets (27B tokens, uncased)'),
    ('glove-twitter-100', 1193514, 405932991, 'http://opendatacommons.org/licenses/pddl/', 'b04f7bed38756d64cf55b58ce7e97b15', 'word2vec-text', 100, 'en', 'GloVe, 2B tweets (27B tokens, uncased)'),
    ('glove-twitter-200', 1193514, 795373100, 'http://opendatacommons.org/licenses/pddl/', 'e52e8392d1860b95d5308a525817d8f9', 'word2vec-text', 200, 'en', 'GloVe, 2B tweets (27B tokens, uncased)'),
]

# fastText's cc.<lang>.300 files (Grave et al. 2018): the 157 language codes of fastText's
# crawl-vectors page, as its python package's util.download_model lists them (158 codes there)
FASTTEXT_LANGS = (
    "af sq als am ar an hy as ast az ba eu bar be bn bh bpy bs br bg my ca ceb bcl ce zh cv co hr cs "
    "da dv nl pa arz eml en myv eo et hif fi fr gl ka de gom el gu ht he mrj hi hu is io ilo id ia ga "
    "it ja jv kn pam kk km ky ko ku ckb la lv li lt lmo nds lb mk mai mg ms ml mt gv mr mzn mhr min "
    "xmf mwl mn nah nap ne new frr nso no nn oc or os pfl ps fa pms pl pt qu ro rm ru sah sa sc sco gd "
    "sr sh scn sd si sk sl so azb es su sw sv tl tg ta tt te th bo tr tk uk hsb ur ug uz vec vi vo wa "
    "war cy vls fy pnb yi yo diq zea").split()

# fastText's English vectors (english-vectors page): zip archives
_FT_EN = [
    ("wiki-news-300d-1M", "wiki-news-300d-1M.vec.zip", "word2vec-text", 1_000_000,
     "Wikipedia 2017 + UMBC + statmt news (16B tokens)"),
    ("wiki-news-300d-1M-subword", "wiki-news-300d-1M-subword.vec.zip", "word2vec-text", 1_000_000,
     "the same, trained with subword information (.vec: word vectors only)"),
    ("crawl-300d-2M", "crawl-300d-2M.vec.zip", "word2vec-text", 2_000_000, "Common Crawl (600B tokens)"),
    ("crawl-300d-2M-subword", "crawl-300d-2M-subword.zip", "fasttext", 2000000,
     "Common Crawl (600B tokens), .bin with subword n-grams (OOV words get vectors)"),
]


def builtin() -> dict[str, dict]:
    out: dict[str, dict] = {}
    for name, words, size, lic, md5, fmt, dim, lang, about in _GENSIM:
        out[name] = {"url": GENSIM.format(name), "format": fmt, "dim": dim, "words": words, "size": size,
                     "checksum": f"md5:{md5}", "license": lic, "lang": lang, "about": about,
                     "source": "gensim-data"}
    for lang in FASTTEXT_LANGS:
        common = {"dim": 300, "words": 2_000_000, "size": None, "checksum": None, "license": CC_BY_SA,
                  "lang": lang, "source": "fastText"}
        out[f"cc.{lang}.300"] = {**common, "url": FT_CC.format(lang=lang, ext="bin"), "format": "fasttext",
                                 "about": f"Common Crawl + Wikipedia ({lang}), CBOW, with subword n-grams"}
        out[f"cc.{lang}.300.vec"] = {**common, "url": FT_CC.format(lang=lang, ext="vec"), "format": "word2vec-text",
                                     "about": f"Common Crawl + Wikipedia ({lang}), word vectors only"}
    for name, file, fmt, words, about in _FT_EN:
        out[name] = {"url": FT_EN.format(file=file), "format": fmt, "dim": 300, "words": words, "size": None,
                     "checksum": None, "license": CC_BY_SA, "lang": "en", "about": about, "source": "fastText"}
    return out


def catalog() -> dict[str, dict]:
    """The built-in entries, plus $WORDSHELL_VECTORS_CATALOG's."""
    out = builtin()
    extra = os.environ.get("WORDSHELL_VECTORS_CATALOG")
    if extra:
        try:
            with open(extra, encoding="utf-8") as f:
                added = json.load(f)
            if not isinstance(added, dict):
                raise ValueError("expected a JSON object {name: entry}")
        except (OSError, ValueError) as e:
            raise BadInput(f"cannot read $WORDSHELL_VECTORS_CATALOG ({extra}): {e}") from None
        for name, entry in added.items():
            out[name] = {"format": None, "dim": None, "words": None, "size": None, "checksum": None,
                         "license": "?", "lang": "?", "about": "", "source": "local", **entry}
    return out


def entry(name: str) -> dict:
    """The catalog entry of `name`, or NotFound with did-you-mean.

    >>> entry("glove-wiki-gigaword-100")["words"]
    400000
    """
    cat = catalog()
    if name in cat:
        return cat[name]
    from wordshell.suggest import did_you_mean

    close = did_you_mean(name, list(cat))
    raise NotFound(f"no pretrained vectors named '{name}'",
                   f"did you mean {', '.join(close)}?" if close else "see 'models download --list'")
