"""`near` — which rows get an exact re-check — is the formula |a − b| ≤ 1e-9·max(1, |a|, |b|)
exactly, whatever its two-pass shortcut; a row it missed would be decided by float rounding."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.interpreter.compile import NEAR, near

VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64),
                   st.sampled_from([0.0, 0.9, 4.2, 2000.0, 1e20, 4.2 + 4e-15, 0.9 - 1e-16]))


def _formula(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        return np.abs(a - b) <= NEAR * np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))


@settings(max_examples=300, deadline=None)
@given(arrays(np.float64, st.integers(0, 40), elements=VALUES), st.data())
def test_near_is_the_formula(a: np.ndarray, data: st.DataObject) -> None:
    same_shape = data.draw(st.booleans())
    b = data.draw(arrays(np.float64, a.shape, elements=VALUES)) if same_shape else np.float64(data.draw(VALUES))
    with np.errstate(over="ignore"):
        assert np.array_equal(near(a, b), _formula(a, b))


def test_the_bound_itself_is_near() -> None:
    a = np.array([0.9, 0.9000000000000001, 5.0, np.nan])
    assert near(a, np.float64(0.9)).tolist() == [True, True, False, False]
