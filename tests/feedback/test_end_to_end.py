"""Fit on some generated people, cue others: faults are named, good reps stay quiet."""

from __future__ import annotations

import numpy as np

from bench_feedback import cue_metrics
from repcoach.feedback import FeedbackModel
from repcoach.feedback.cue import FAULTS
from repcoach.feedback.model import main_faults


def test_unseen_people_get_cues_naming_their_main_fault(small_table, tmp_path):
    tab = small_table
    people = sorted(set(tab.participants))
    tr = np.isin(tab.participants, people[:5])
    fit = tab.subset(tr)
    model = FeedbackModel.fit({"JJ": (fit.features, fit.curves, fit.severities,
                                      main_faults(fit.severities) == "", fit.participants)})
    model = FeedbackModel.load(model.save(tmp_path / "feedback.json"))  # what ships
    te = tab.subset(~tr)
    named = np.zeros((len(te.features), 4), bool)
    top = np.array([""] * len(te.features), dtype=object)
    for i, (f, c) in enumerate(zip(te.features, te.curves, strict=True)):
        cues = model.cues("JJ", f, c)
        assert len(cues) <= 2
        for cue in cues:
            named[i, FAULTS.index(cue.fault)] = True
            assert cue.text and cue.body_part
        top[i] = cues[0].fault if cues else ""
    m = cue_metrics(named, te.severities, top)
    assert m["overall"]["n_main"] >= 8
    assert m["overall"]["recall"] >= 0.6 and m["overall"]["precision"] >= 0.6
    assert m["fault_free"]["no_cue"] >= 0.6


def test_personal_reference_recentres_on_a_persons_best_reps(small_table):
    tab = small_table
    fit = tab.subset(np.ones(len(tab.features), bool))
    model = FeedbackModel.fit({"JJ": (fit.features, fit.curves, fit.severities,
                                      main_faults(fit.severities) == "")})
    p = tab.participants[0]
    idx = np.flatnonzero(tab.participants == p)
    best = idx[np.argsort(-tab.scores[idx])[:3]]
    mine = model.personal("JJ", [tab.features[i] for i in best], [tab.curves[i] for i in best])
    k = "frontal.shoulder_l.range"
    want = np.median([tab.features[i][k] for i in best])
    assert mine.exercises["JJ"].features[k][0] == want
    assert mine.exercises["JJ"].features[k][1] == model.exercises["JJ"].features[k][1]
    assert model.exercises["JJ"].features[k][0] != want  # the population one is untouched
