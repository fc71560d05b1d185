"""Cross-subject splits (paper V.F): no participant's samples on two sides of a split.

Samples are grouped (by participant; by clip when subjects are unknown; by a block column when
neighbouring clips are near-duplicates) and whole groups are assigned to train / val / test,
stratified by exercise as far as the groups allow.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

from repcoach.errors import DataError

SPLITS = ("train", "val", "test")
UNKNOWN_SUBJECTS = frozenset({"", "unknown", "nan", "none", "na"})


def sample_groups(
    subjects: Sequence[str],
    clip_ids: Sequence[str],
    group_values: Sequence[str] | None = None,
) -> np.ndarray:
    """The group each sample belongs to for splitting.

    ``group_values`` (e.g. a block column) win when given; otherwise the subject, or for
    samples whose subject is unknown (``unknown``/empty, as in Penn Action) the clip itself."""
    if group_values is not None:
        return np.asarray([f"group:{g}" for g in group_values], dtype=object)
    out = []
    for s, c in zip(subjects, clip_ids, strict=True):
        s = str(s)
        out.append(f"clip:{c}" if s.strip().lower() in UNKNOWN_SUBJECTS else f"subject:{s}")
    return np.asarray(out, dtype=object)


def _group_keys(groups: np.ndarray, labels: np.ndarray) -> dict[str, str]:
    """Stratification key per group: its label when every group holds one label, else one key
    (e.g. EJUST participants do every exercise: splitting participants is already balanced)."""
    per: dict[str, Counter] = defaultdict(Counter)
    for g, y in zip(groups, labels, strict=True):
        per[g][y] += 1
    pure = all(len(c) == 1 for c in per.values())
    if pure:
        return {g: next(iter(c)) for g, c in per.items()}
    return {g: c.most_common(1)[0][0] if len(c) == 1 else "*mixed*" for g, c in per.items()}


def subject_split(
    subjects: Sequence[str],
    labels: Sequence[str],
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
    seed: int = 0,
    groups: Sequence[str] | None = None,
) -> dict[str, np.ndarray]:
    """Split sample indices into train/val/test by group (participant by default).

    ``subjects``: one id per sample (``groups`` overrides it, see :func:`sample_groups`).
    Groups are stratified by their exercise; each stratum of 3+ groups gives at least one group
    to val and test. Asserts that no group lands in two splits."""
    labels = np.asarray([str(v) for v in labels], dtype=object)
    g = np.asarray(groups if groups is not None else subjects, dtype=object).astype(str)
    if len(g) != len(labels):
        raise ValueError(f"{len(g)} groups but {len(labels)} labels")
    f = np.asarray(fractions, dtype=float)
    if f.shape != (3,) or np.any(f < 0) or not np.isclose(f.sum(), 1.0):
        raise ValueError(f"fractions must be 3 non-negative numbers summing to 1: {fractions}")
    rng = np.random.default_rng(seed)
    keys = _group_keys(g, labels)
    strata: dict[str, list[str]] = defaultdict(list)
    for grp in sorted(keys):
        strata[keys[grp]].append(grp)
    assign: dict[str, str] = {}
    carry = np.zeros(3)  # rounding remainders carried across strata so totals follow fractions
    for key in sorted(strata):
        members = list(strata[key])
        rng.shuffle(members)
        n = len(members)
        want = f * n + carry
        n_val = int(np.floor(want[1] + 0.5))
        n_test = int(np.floor(want[2] + 0.5))
        if n >= 3:
            n_val = max(n_val, 1 if f[1] > 0 else 0)
            n_test = max(n_test, 1 if f[2] > 0 else 0)
        n_test = min(n_test, n)
        n_val = min(n_val, n - n_test)
        if n - n_val - n_test < 1 and n > 0 and f[0] > 0:
            if n_val > n_test:
                n_val -= 1
            elif n_test > 0:
                n_test -= 1
        counts = np.array([n - n_val - n_test, n_val, n_test])
        carry = want - counts
        names = ["test"] * n_test + ["val"] * n_val + ["train"] * (n - n_val - n_test)
        for grp, name in zip(members, names, strict=True):
            assign[grp] = name
    # Small strata can all round to "train": make sure val and test get a group when there
    # are enough groups, taking it from the stratum with the most training groups.
    if len(assign) >= 3:
        for i, name in ((2, "test"), (1, "val")):
            if f[i] > 0 and name not in assign.values():
                train = [grp for grp in sorted(assign) if assign[grp] == "train"]
                if len(train) < 2:
                    continue
                per = Counter(keys[grp] for grp in train)
                key = max(sorted(per), key=lambda k: per[k])
                cands = [grp for grp in train if keys[grp] == key]
                assign[cands[int(rng.integers(len(cands)))]] = name
    out = {s: np.flatnonzero([assign[x] == s for x in g]) for s in SPLITS}
    check_disjoint(g, out)
    return out


def subject_kfold(
    subjects: Sequence[str], k: int = 5, seed: int = 0, labels: Sequence[str] | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` (train, test) index pairs with every group tested exactly once (stratified by
    label when given, via scikit-learn's StratifiedGroupKFold)."""

    g = np.asarray(subjects).astype(str)
    n_groups = len(set(g))
    if k < 2 or k > n_groups:
        raise ValueError(f"k must be between 2 and the number of groups ({n_groups}), got {k}")
    if labels is not None:
        y = np.asarray(labels).astype(str)
        cv = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
        folds = list(cv.split(np.zeros(len(g)), y, g))
    else:
        folds = list(GroupKFold(n_splits=k, shuffle=True, random_state=seed).split(g, groups=g))
    for tr, te in folds:
        check_disjoint(g, {"train": tr, "test": te})
    return [(np.asarray(tr), np.asarray(te)) for tr, te in folds]


def split_from_column(values: Sequence[str], where: str = "index.csv") -> dict[str, np.ndarray]:
    """Indices per split from a ``split`` column (train / val / test; ``valid``/``dev`` mean
    val). An empty value means train."""
    aliases = {"train": "train", "": "train", "val": "val", "valid": "val", "validation": "val",
               "dev": "val", "test": "test"}
    names = []
    for i, v in enumerate(values):
        s = str(v).strip().lower()
        if s == "nan":
            s = ""
        if s not in aliases:
            raise DataError(f"split must be train, val or test, got {v!r}", where, row=i + 2,
                            column="split")
        names.append(aliases[s])
    arr = np.asarray(names)
    return {s: np.flatnonzero(arr == s) for s in SPLITS}


def check_disjoint(groups: Sequence[str], split: dict[str, np.ndarray]) -> None:
    """Raise AssertionError when a group has samples in two splits."""
    g = np.asarray(groups).astype(str)
    seen: dict[str, str] = {}
    for name, idx in split.items():
        for grp in set(g[np.asarray(idx, dtype=int)]):
            if grp in seen and seen[grp] != name:
                raise AssertionError(f"group {grp!r} is in both {seen[grp]!r} and {name!r}")
            seen[grp] = name


def groups_per_split(groups: Sequence[str], split: dict[str, np.ndarray]) -> dict[str, list[str]]:
    """Sorted group names in each split (stored in config.json)."""
    g = np.asarray(groups).astype(str)
    return {name: sorted(set(g[np.asarray(idx, dtype=int)])) for name, idx in split.items()}


def neighbour_blocks(
    strata: Sequence[str], order: Sequence[float], n_blocks: int = 5
) -> np.ndarray:
    """Group names that keep neighbouring clips together: within each stratum (e.g. source x
    label) the clips sorted by ``order`` (their number in the source) are cut into ``n_blocks``
    contiguous blocks of near-equal size (fewer when the stratum has fewer clips), named
    ``"<stratum>|b<k>"``. Holding such blocks out tests on later parts of the same sources, as a
    later-blocks holdout does, without near-duplicate neighbours on both sides."""
    s = np.asarray(strata).astype(str)
    o = np.asarray(order, dtype=float)
    if len(s) != len(o):
        raise ValueError(f"{len(s)} strata but {len(o)} order values")
    if n_blocks < 1:
        raise ValueError(f"n_blocks must be at least 1, got {n_blocks}")
    out = np.empty(len(s), dtype=object)
    for stratum in np.unique(s):
        idx = np.where(s == stratum)[0]
        idx = idx[np.argsort(o[idx], kind="stable")]
        block = np.unique((np.arange(len(idx)) * n_blocks) // len(idx), return_inverse=True)[1]
        out[idx] = [f"{stratum}|b{b}" for b in block]
    return out.astype(str)
