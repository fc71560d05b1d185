"""Class names <-> integer ids, stored as JSON (never pickled) so any app can read it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np


class LabelEncoder:
    """Class names <-> integer ids (sorted names, like scikit-learn's), stored as JSON."""

    def __init__(self, classes: Iterable[str] | None = None) -> None:
        self.classes_: np.ndarray | None = None
        if classes is not None:
            self.classes_ = np.asarray([str(c) for c in classes], dtype=object)

    def fit(self, y: Iterable[Any]) -> LabelEncoder:
        self.classes_ = np.asarray(sorted({str(v) for v in y}), dtype=object)
        return self

    def _check(self) -> np.ndarray:
        if self.classes_ is None:
            raise ValueError("LabelEncoder is not fitted")
        return self.classes_

    def transform(self, y: Iterable[Any]) -> np.ndarray:
        classes = self._check()
        lookup = {c: i for i, c in enumerate(classes)}
        out = []
        for v in y:
            if str(v) not in lookup:
                raise ValueError(f"unknown label {v!r}; known: {list(classes)}")
            out.append(lookup[str(v)])
        return np.asarray(out, dtype=np.int64)

    def fit_transform(self, y: Iterable[Any]) -> np.ndarray:
        y = list(y)
        return self.fit(y).transform(y)

    def inverse_transform(self, ids: Iterable[int]) -> np.ndarray:
        classes = self._check()
        return np.asarray([classes[int(i)] for i in ids], dtype=object)

    def to_json(self) -> dict[str, list[str]]:
        return {"classes": [str(c) for c in self._check()]}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any] | str) -> LabelEncoder:
        if isinstance(obj, str):
            obj = json.loads(obj)
        classes = obj.get("classes") if isinstance(obj, Mapping) else None
        if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
            raise ValueError('expected {"classes": [names...]}')
        return cls(classes)

    def __len__(self) -> int:
        return len(self._check())

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, LabelEncoder)
            and self.classes_ is not None
            and other.classes_ is not None
            and list(self.classes_) == list(other.classes_)
        )

    def __repr__(self) -> str:
        return f"LabelEncoder({None if self.classes_ is None else list(self.classes_)})"
