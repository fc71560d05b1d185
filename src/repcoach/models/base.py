"""The public base of the Keras-backed estimators, shaped like scikit-learn's ``BaseEstimator``.

Parameters are exactly the ``__init__`` signature, stored unchanged under the same names, so
:meth:`get_params` / :meth:`set_params` and ``sklearn.base.clone`` work; fitted attributes end
in ``_``. :meth:`to_config` is the JSON form recorded in a model folder's ``config.json``.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

#: Parameters that say how to run, not what is learned: left out of :meth:`to_config`.
RUN_PARAMS = ("verbose", "checkpoint_dir")


def ensemble_families(arch: str, known: Sequence[str]) -> tuple[str, ...]:
    """The families of ``arch``: one of ``known``, or several joined by ``+``
    (``"rocket+cnn_deep"``: a cross-family ensemble averaging one network of each); ValueError on
    an unknown or repeated name."""
    parts = tuple(a.strip() for a in str(arch).split("+"))
    if any(a not in known for a in parts) or len(set(parts)) != len(parts):
        raise ValueError(f"arch must be one of {', '.join(known)} or several joined by '+' "
                         f"(each once, e.g. rocket+cnn_deep), got {arch!r}")  # fmt: skip
    return parts


class KerasEstimator:
    """``get_params`` / ``set_params`` from the ``__init__`` signature; ``to_config`` for JSON."""

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The ``__init__`` parameter names (no ``*args`` / ``**kwargs``), in signature order."""
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters as set (``deep`` is accepted for scikit-learn)."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params: Any) -> KerasEstimator:
        """Set constructor parameters by name; unknown names raise ValueError."""
        valid = set(self._get_param_names())
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for {type(self).__name__}; "
                                 f"valid: {sorted(valid)}")
            setattr(self, name, value)
        return self

    def to_config(self) -> dict[str, Any]:
        """JSON-ready parameters (tuples as lists, augmenters as dicts), run options left out."""
        out: dict[str, Any] = {}
        for name, value in self.get_params().items():
            if name in RUN_PARAMS:
                continue
            if isinstance(value, tuple):
                value = list(value)
            elif hasattr(value, "to_dict"):
                value = value.to_dict()
            out[name] = value
        return out

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__)
                    .parameters.values() if p.default is not inspect.Parameter.empty}
        shown = [f"{k}={v!r}" for k, v in self.get_params().items()
                 if k not in defaults or defaults[k] != v]
        return f"{type(self).__name__}({', '.join(shown)})"
