"""Aspect correction at analysis: the same width/height scaling of image-space landmarks as in
training, from the frame size of the argument, the recording or the options (a mixin)."""

from __future__ import annotations

import warnings
from typing import Any

from repcoach.analyze.options import check_frame_size
from repcoach.data.samples import aspect_corrected
from repcoach.types import ClipAnalysis, PoseSequence


class AspectCorrection:
    """What the model expects and how a recording is corrected to match."""

    @property
    def expects_aspect_correction(self) -> bool | None:
        """Whether the model was trained on aspect-corrected image coordinates: True / False,
        None when an old model folder does not say (assumed True when a size is given)."""
        cfg = self.models.config
        if not cfg.get("aspect_correct", True):
            return False
        n = cfg.get("aspect_corrected_clips")
        if n is not None:
            return int(n) > 0
        return None if cfg.get("data_form") == "indexed" else False

    def aspect_correct(
        self, seq: PoseSequence, frame_size: tuple[float, float] | None = None
    ) -> tuple[PoseSequence, dict[str, Any]]:
        """``seq`` with x (and z) multiplied by width/height when the model was trained so (as
        :mod:`repcoach.data.samples` does with index.csv sizes), and what was done. The size is
        ``frame_size`` if given, else the recording's own (``seq.frame_size``, e.g. from a pose
        CSV's side file), else ``options.frame_size``: the size measured from the recording's
        video beats a default set for all recordings."""
        given = (("argument", frame_size), ("recording", seq.frame_size),
                 ("options", self.options.frame_size))  # fmt: skip
        source, size = next(((k, check_frame_size(v)) for k, v in given if v is not None),
                            (None, None))  # fmt: skip
        expects = self.expects_aspect_correction
        info: dict[str, Any] = {"model_expects": expects,
                                "frame_size": None if size is None else list(size),
                                "frame_size_source": source,
                                "applied": False, "warning": None}  # fmt: skip
        if expects is False or seq.space != "image":
            return seq, info
        if size is None:
            was = "was" if expects else "may have been (an older model folder does not say)"
            info["warning"] = (
                f"the model {was} trained on aspect-corrected landmarks (x scaled by frame "
                "width/height) but this recording's frame size is unknown: analysed "
                "uncorrected, so body proportions may differ from training; give the frame "
                "size (--frame-size WxH), or extract the pose with `repcoach extract` (it "
                "records the size in a .pose.json side file), for reliable results"
            )
            return seq, info
        info["applied"] = True
        return aspect_corrected(seq, size[0], size[1]), info

    def _with_aspect(self, result: ClipAnalysis, infos: dict[str, dict[str, Any]]):
        """Record the aspect correction in ``extra`` and surface its warnings."""
        result.extra["aspect"] = infos if len(infos) > 1 else next(iter(infos.values()))
        msgs = [f"{name}: {i['warning']}" if len(infos) > 1 else i["warning"]
                for name, i in infos.items() if i["warning"]]  # fmt: skip
        if msgs:
            result.extra.setdefault("warnings", []).extend(msgs)
            for m in msgs:
                warnings.warn(m, UserWarning, stacklevel=3)
        return result
