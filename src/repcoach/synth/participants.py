"""Generated participants whose metadata matches the paper's Table I.

Table I (128 participants): height 160-197 cm (mean 178.68), weight 50-120 kg (mean 76),
daily sleep 4-12 h (mean 7.25), age 18-34 years (mean 20.4), 14.3 % smokers, 45.5 % healthy
eaters. We draw height from a normal truncated to the range, weight from a body-mass index
(so tall people tend to be heavier), sleep from a truncated normal in half hours, age as 18
plus a right-skewed gamma (most participants are undergraduates), and the two habits as coin
flips with the table's rates. Names are unique ``firstname-lastname`` slugs.
"""

from __future__ import annotations

import numpy as np

from repcoach.types import Participant

FIRST_NAMES: tuple[str, ...] = (
    "ahmed", "mohamed", "omar", "youssef", "mahmoud", "mostafa", "karim", "hassan", "hussein",
    "ali", "amr", "tarek", "khaled", "ibrahim", "mazen", "ziad", "seif", "adham", "hazem",
    "marwan", "nour", "yara", "salma", "mariam", "farida", "habiba", "malak", "jana", "laila",
    "hana", "aya", "rana", "dina", "sara", "menna", "nada", "reem", "amira", "heba", "rawan",
    "kenji", "haruto", "yui", "sota", "riku", "aoi", "daniel", "lucas", "sofia", "emma",
    "adam", "yassin", "islam", "fady", "mina", "george", "bassel", "walid", "sherif", "ramy",
)  # fmt: skip

LAST_NAMES: tuple[str, ...] = (
    "attia", "hassan", "ibrahim", "mahmoud", "mostafa", "salem", "saleh", "fahmy", "farouk",
    "gamal", "hamdy", "helmy", "kamal", "khalil", "lotfy", "mansour", "nasser", "osman",
    "ragab", "ramadan", "sabry", "said", "shawky", "soliman", "tawfik", "wahba", "yassin",
    "zaki", "abdelaziz", "abdallah", "amin", "ashraf", "badawy", "bakr", "darwish", "eid",
    "elsayed", "fouad", "ghoneim", "hegazy", "hosny", "ismail", "kandil", "metwally", "morsi",
    "naguib", "radwan", "refaat", "sharaf", "shehata", "tantawy", "youssef", "zidan",
    "tanaka", "suzuki", "sato", "watanabe", "yamamoto", "nakamura", "kobayashi",
)  # fmt: skip

#: Table I of the paper: (minimum, mean, maximum) and category rates.
TABLE_I: dict[str, tuple[float, float, float]] = {
    "height_cm": (160.0, 178.68, 197.0),
    "weight_kg": (50.0, 76.0, 120.0),
    "sleep_h": (4.0, 7.25, 12.0),
    "age": (18.0, 20.4, 34.0),
}
SMOKER_RATE = 0.143
HEALTHY_EATER_RATE = 0.455


def _truncated_normal(
    rng: np.random.Generator, mean: float, sd: float, lo: float, hi: float, n: int
) -> np.ndarray:
    out = np.empty(0)
    while out.size < n:
        x = rng.normal(mean, sd, 2 * n + 8)
        out = np.concatenate([out, x[(x >= lo) & (x <= hi)]])
    return out[:n]


def sample_names(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` unique ``firstname-lastname`` slugs."""
    total = len(FIRST_NAMES) * len(LAST_NAMES)
    if n > total:
        raise ValueError(f"can generate at most {total} unique names, asked for {n}")
    flat = rng.choice(total, size=n, replace=False)
    return [f"{FIRST_NAMES[i // len(LAST_NAMES)]}-{LAST_NAMES[i % len(LAST_NAMES)]}" for i in flat]


def sample_participants(n: int, rng: np.random.Generator) -> list[Participant]:
    """``n`` participants (ids ``P001``...) with Table I's ranges, means and rates."""
    if n < 1:
        raise ValueError(f"need at least one participant, got {n}")
    (h_lo, h_mean, h_hi), (w_lo, _, w_hi) = TABLE_I["height_cm"], TABLE_I["weight_kg"]
    height = np.round(_truncated_normal(rng, h_mean + 0.15, 7.5, h_lo, h_hi, n), 1)
    weight = np.empty(n)
    for i in range(n):
        while True:
            bmi = rng.normal(23.7, 3.4)
            w = bmi * (height[i] / 100.0) ** 2
            if w_lo <= w <= w_hi:
                break
        weight[i] = round(w, 1)
    sleep = np.round(_truncated_normal(rng, 7.25, 1.25, 4.0, 12.0, n) * 2) / 2
    age = np.empty(n, dtype=int)
    for i in range(n):
        while True:
            a = 18 + int(np.floor(rng.gamma(1.3, 2.3)))
            if a <= 34:
                break
        age[i] = a
    smoker = rng.random(n) < SMOKER_RATE
    healthy = rng.random(n) < HEALTHY_EATER_RATE
    names = sample_names(n, rng)
    width = max(3, len(str(n)))
    return [
        Participant(
            participant_id=f"P{i + 1:0{width}d}",
            name=names[i],
            age=int(age[i]),
            height_cm=float(height[i]),
            weight_kg=float(weight[i]),
            sleep_h=float(sleep[i]),
            smoker=bool(smoker[i]),
            healthy_eater=bool(healthy[i]),
        )
        for i in range(n)
    ]
