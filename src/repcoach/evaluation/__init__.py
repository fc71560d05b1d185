"""Evaluation: pure metrics (``metrics``), held-out evaluation of a model folder (``evaluate``),
the report writer shared by all modalities (``report``) and cross-validation (``crossval``)."""
