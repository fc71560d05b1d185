"""One generated recording: a person doing one exercise, as continuous-time kinematics.

:func:`simulate` draws the person's style, the repetition schedule (idle lead-in, repetitions
with tempo drift, timing jitter and pauses, idle lead-out) and each repetition's form
deviations. The returned :class:`Recording` evaluates the body at any times, so every modality
(pose at 30 FPS, IMU at 50 Hz, thermal at 8.7 FPS) is derived from the same motion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from repcoach.skeleton import MEDIAPIPE_33
from repcoach.synth import kinematics as kin
from repcoach.synth.body import JOINT_NAMES, SEGMENTS, Body
from repcoach.synth.exercises import Exercise, RepState, get_exercise
from repcoach.synth.form import DEVIATIONS, MAX_RUSH, FormProfile, sample_deviations
from repcoach.synth.form import score_from_deviations as _score
from repcoach.types import Participant, PoseSequence

#: IMU mounting sites: segment and where on it (fraction of the segment, see ``site_pose``).
IMU_SITES: dict[str, str] = {
    "lwrist": "forearm_l",
    "rwrist": "forearm_r",
    "lankle": "shank_l",
    "rankle": "shank_r",
}

_FOOT_POINTS = ("left_heel", "right_heel", "left_foot_index", "right_foot_index")


@dataclass(frozen=True)
class RepInfo:
    """One generated repetition: true phase boundaries (seconds), deviations and score."""

    index: int  # 1-based
    start_s: float
    end_s: float
    deviations: dict[str, float]
    score: float
    weak_side: str  # "left" / "right": the side the asymmetry deviation weakens

    def frames(self, fps: float = 30.0) -> tuple[int, int]:
        """``[start, end)`` frame indices at ``fps``."""
        return int(round(self.start_s * fps)), int(round(self.end_s * fps))


@dataclass
class _Smooth:
    """A smooth random signal: a sum of sinusoids (deterministic in time)."""

    amp: np.ndarray
    freq: np.ndarray
    phase: np.ndarray

    @classmethod
    def sample(cls, rng: np.random.Generator, amp: float, f_lo: float, f_hi: float, k: int = 3):
        return cls(
            amp=amp * rng.uniform(0.3, 1.0, k) / np.sqrt(k),
            freq=rng.uniform(f_lo, f_hi, k),
            phase=rng.uniform(0, 2 * np.pi, k),
        )

    def __call__(self, t: np.ndarray) -> np.ndarray:
        return np.sin(2 * np.pi * t[:, None] * self.freq + self.phase) @ self.amp


@dataclass
class Recording:
    """A person doing an exercise; evaluate the body at any times (seconds, 1-D array).

    World frame: metres, y up, the person faces +z at rest, x toward their left.
    """

    participant: Participant
    exercise: Exercise
    body: Body
    style: dict[str, float]
    reps: list[RepInfo]
    duration_s: float
    yaw_deg: float
    _sway: dict[str, _Smooth] = field(repr=False)
    _cache: tuple = field(default=(), repr=False)

    @property
    def code(self) -> str:
        return self.exercise.code

    @property
    def label(self) -> str:
        return self.exercise.label

    def frame_times(self, fps: float = 30.0) -> np.ndarray:
        """Sample times ``k / fps`` covering the recording."""
        return np.arange(int(np.floor(self.duration_s * fps + 1e-9))) / fps

    # -- the motion ---------------------------------------------------------------------
    def rep_state(self, times: np.ndarray) -> RepState:
        """Phase and deviation severities of the repetition each time falls in."""
        t = np.asarray(times, dtype=np.float64)
        starts = np.array([r.start_s for r in self.reps])
        ends = np.array([r.end_s for r in self.reps])
        keys = ("rom", "asymmetry", "posture")
        # One extra all-zero row (and phase 0) for times outside every repetition.
        dev = np.array([[r.deviations[k] for k in keys] for r in self.reps] + [[0.0] * 3])
        weak = np.array([r.weak_side == "left" for r in self.reps] + [False])
        idx = np.searchsorted(starts, t, side="right") - 1
        ks = np.clip(idx, 0, len(self.reps) - 1)
        inside = (idx >= 0) & (t < ends[ks])
        k = np.where(inside, ks, len(self.reps))
        phase = np.where(inside, (t - starts[ks]) / (ends[ks] - starts[ks]), 0.0)
        return RepState(
            phase=np.clip(phase, 0.0, 1.0),
            rom=dev[k, 0],
            asym=dev[k, 1],
            posture=dev[k, 2],
            weak_left=weak[k],
        )

    def joint_angles(self, times: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Anatomical joint angles (degrees) and the vertical hop (metres) at ``times``."""
        t = np.asarray(times, dtype=np.float64)
        angles, hop = self.exercise.angles(self.rep_state(t), self.style, self.body)
        angles = {k: np.asarray(v, dtype=np.float64) + 0.0 for k, v in angles.items()}
        for name, sig in self._sway.items():
            if name in kin.ANGLE_NAMES:
                angles[name] = angles.get(name, 0.0) + sig(t)
        angles["pelvis_yaw"] = angles.get("pelvis_yaw", 0.0) + self.yaw_deg
        return {k: np.broadcast_to(v, t.shape) for k, v in angles.items()}, np.asarray(hop)

    def _fk(self, times: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        t = np.asarray(times, dtype=np.float64).reshape(-1)
        key = (t.shape, t.tobytes())
        if self._cache and self._cache[0] == key:
            return self._cache[1], self._cache[2]
        n = t.shape[0]
        angles, hop = self.joint_angles(t)
        root_rot, local = kin.local_rotations(angles, n)
        sway = 0.3 if self.exercise.supine else 1.0
        root = np.zeros((n, 3))
        root[:, 0] = sway * self._sway["root_x"](t)
        root[:, 2] = sway * self._sway["root_z"](t)
        if self.exercise.supine:
            root[:, 1] = self.exercise.pelvis_height(self.body)  # type: ignore[attr-defined]
        origins, rots = kin.forward(self.body, root, root_rot, local)
        if not self.exercise.supine:  # stand on the lowest foot point, plus the hop
            feet = [MEDIAPIPE_33.index(p) for p in _FOOT_POINTS]
            pts = kin.points_on(
                origins,
                rots,
                [self.body.landmark_segment[i] for i in feet],
                self.body.landmark_offset[feet],
            )
            lift = -pts[..., 1].min(axis=1) + hop
            origins = {k: v + np.stack([0 * lift, lift, 0 * lift], 1) for k, v in origins.items()}
        self._cache = (key, origins, rots)
        return origins, rots

    # -- the API for the modalities -----------------------------------------------------
    def landmarks_world(self, times: np.ndarray) -> np.ndarray:
        """``(N, 33, 3)`` MediaPipe landmarks in world metres (noise-free)."""
        return kin.landmarks(self.body, *self._fk(times))

    def joint_positions(self, times: np.ndarray) -> dict[str, np.ndarray]:
        """World positions ``(N, 3)`` of the named body joints (:data:`JOINT_NAMES`)."""
        return kin.joints(self.body, *self._fk(times))

    def segment_rotations(self, times: np.ndarray, segment: str) -> np.ndarray:
        """``(N, 3, 3)`` world-from-segment rotation matrices of one segment."""
        _check_segment(segment)
        return self._fk(times)[1][segment]

    def segment_positions(
        self, times: np.ndarray, segment: str, offset: np.ndarray | None = None
    ) -> np.ndarray:
        """``(N, 3)`` world position of a point on a segment (its origin, i.e. the proximal
        joint, plus ``offset`` in the segment frame)."""
        _check_segment(segment)
        origins, rots = self._fk(times)
        pos = origins[segment]
        if offset is not None:
            pos = pos + rots[segment] @ np.asarray(offset, dtype=np.float64)
        return pos

    def site_pose(self, times: np.ndarray, site: str) -> tuple[np.ndarray, np.ndarray]:
        """Position ``(N, 3)`` and world-from-sensor rotation ``(N, 3, 3)`` of an IMU site
        (``lwrist``/``rwrist``: on the back of the forearm just above the wrist;
        ``lankle``/``rankle``: outside of the shank just above the ankle). The sensor frame is
        the segment frame (y along the segment toward its proximal joint, z forward)."""
        if site not in IMU_SITES:
            raise KeyError(f"unknown IMU site {site!r}; known: {sorted(IMU_SITES)}")
        seg = IMU_SITES[site]
        side = 1.0 if seg.endswith("_l") else -1.0
        length = self.body.lengths["forearm" if seg.startswith("forearm") else "shank"]
        offset = np.array([side * 0.03, -0.9 * length, 0.0])
        return self.segment_positions(times, seg, offset), self.segment_rotations(times, seg)

    def pose_world(self, fps: float = 30.0) -> PoseSequence:
        """The noise-free landmarks at ``fps`` as a world-space :class:`PoseSequence`."""
        t = self.frame_times(fps)
        return PoseSequence(
            self.landmarks_world(t), t, MEDIAPIPE_33, space="world", source="synthetic"
        )


def _check_segment(segment: str) -> None:
    if segment not in SEGMENTS:
        raise KeyError(f"unknown segment {segment!r}; known: {SEGMENTS}")


def simulate(
    participant: Participant,
    exercise: str,
    rng: np.random.Generator,
    n_reps: int | None = None,
    reps: tuple[int, int] = (8, 12),
) -> Recording:
    """Generate one recording of ``participant`` doing ``exercise`` (code or label).

    ``n_reps`` fixes the number of repetitions; otherwise it is drawn from ``reps``
    (inclusive). All randomness comes from ``rng``.
    """
    model = get_exercise(exercise)
    if n_reps is None:
        lo, hi = reps
        if not 1 <= lo <= hi:
            raise ValueError(f"reps range must satisfy 1 <= min <= max, got {reps}")
        n_reps = int(rng.integers(lo, hi + 1))
    if n_reps < 1:
        raise ValueError(f"n_reps must be at least 1, got {n_reps}")
    body = Body.from_participant(participant, rng)
    style = model.style(rng)
    profile = FormProfile.sample(rng)
    dev = sample_deviations(rng, n_reps, profile)

    # Timing: a person's normal duration drifts slower over the set (fatigue), with jitter.
    base = rng.uniform(*model.rep_s)
    drift = rng.uniform(0.0, 0.15)
    t = float(rng.uniform(0.5, 1.5))
    infos: list[RepInfo] = []
    for i in range(n_reps):
        normal = (
            base
            * (1 + drift * i / max(1, n_reps - 1))
            * float(np.clip(rng.normal(1, 0.04), 0.9, 1.1))
        )
        dur = normal * (1.0 - MAX_RUSH * dev[i, DEVIATIONS.index("tempo")])
        d = {k: round(float(dev[i, j]), 4) for j, k in enumerate(DEVIATIONS)}
        infos.append(
            RepInfo(
                index=i + 1,
                start_s=round(t, 4),
                end_s=round(t + dur, 4),
                deviations=d,
                score=round(float(_score(d)), 4),
                weak_side="left" if rng.random() < 0.5 else "right",
            )
        )
        t = infos[-1].end_s
        if i < n_reps - 1 and rng.random() < model.pause_p:
            t += float(rng.uniform(*model.pause_s))
    duration = t + float(rng.uniform(0.5, 1.5))

    sway = {
        "root_x": _Smooth.sample(rng, 0.012, 0.1, 0.5),
        "root_z": _Smooth.sample(rng, 0.012, 0.1, 0.5),
        "trunk_lat": _Smooth.sample(rng, 1.2, 0.1, 0.5),
        "trunk_flex": _Smooth.sample(rng, 1.0, 0.15, 0.4),
        "neck_flex": _Smooth.sample(rng, 2.0, 0.1, 0.8),
    }
    for name in kin.ANGLE_NAMES:
        if name.startswith(("shoulder", "elbow", "hip", "knee")):
            sway[name] = _Smooth.sample(rng, 1.5, 0.3, 2.0, k=2)
    return Recording(
        participant=participant,
        exercise=model,
        body=body,
        style=style,
        reps=infos,
        duration_s=round(duration, 4),
        yaw_deg=float(rng.uniform(-8, 8)),
        _sway=sway,
    )


__all__ = ["IMU_SITES", "JOINT_NAMES", "RepInfo", "Recording", "simulate"]
