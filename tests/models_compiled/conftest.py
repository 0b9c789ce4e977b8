"""One-op TFLite models built with TensorFlow, cached for the session."""

from __future__ import annotations

import pytest

from .tf_models import ModelFactory


@pytest.fixture(scope="session")
def tf_models(tmp_path_factory) -> ModelFactory:
    return ModelFactory(tmp_path_factory.mktemp("tflite"))
