"""Model inputs: datasets -> samples (``samples``), cross-subject splits (``splits``), the
scorers' extra input channels (``scorer_inputs``) and dataset summaries (``summary``)."""
