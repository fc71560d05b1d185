"""Skeleton layouts as data: joint names, left/right pairs and bones.

Every pose array in repcoach is laid out as ``(frames, joints, dims)`` where the joint order is
given by one of the :class:`Skeleton` objects below. Joint names follow one convention
(``left_shoulder``, ``right_hip`` ...) across layouts so that stages such as normalisation can look
up anatomical anchors by name whatever the source tracker was.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Skeleton:
    """A named joint layout.

    ``dims`` is 3 for layouts with depth (x, y, z) and 2 for image-only layouts (x, y).
    ``left_right`` pairs joint indices that swap under a horizontal mirror; ``bones`` are
    index pairs used for drawing and for bone-length checks.
    """

    name: str
    joint_names: tuple[str, ...]
    dims: int
    bones: tuple[tuple[int, int], ...]
    left_right: tuple[tuple[int, int], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.dims not in (2, 3):
            raise ValueError(f"skeleton {self.name!r}: dims must be 2 or 3, got {self.dims}")
        n = len(self.joint_names)
        for a, b in (*self.bones, *self.left_right):
            if not (0 <= a < n and 0 <= b < n):
                raise ValueError(f"skeleton {self.name!r}: index pair ({a}, {b}) out of range")
        if len(set(self.joint_names)) != n:
            raise ValueError(f"skeleton {self.name!r}: duplicate joint names")

    @property
    def n_joints(self) -> int:
        return len(self.joint_names)

    @property
    def n_features(self) -> int:
        """Model input width per frame (joints x dims), e.g. 99 for MediaPipe."""
        return self.n_joints * self.dims

    def index(self, name: str) -> int:
        """Index of a joint by name; raises KeyError naming the layout."""
        try:
            return self.joint_names.index(name)
        except ValueError:
            raise KeyError(f"skeleton {self.name!r} has no joint {name!r}") from None

    def has(self, name: str) -> bool:
        return name in self.joint_names

    def mirror_permutation(self) -> list[int]:
        """Joint order after a left/right swap (used by horizontal-flip augmentation)."""
        perm = list(range(self.n_joints))
        for a, b in self.left_right:
            perm[a], perm[b] = b, a
        return perm


def _pairs_by_name(names: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """Pair every ``left_*`` joint with its ``right_*`` twin."""
    pairs = []
    for i, n in enumerate(names):
        if n.startswith("left_"):
            twin = "right_" + n[len("left_") :]
            if twin in names:
                pairs.append((i, names.index(twin)))
        elif "_left" in n:
            twin = n.replace("_left", "_right")
            if twin in names:
                pairs.append((i, names.index(twin)))
    return tuple(pairs)


def _bones(names: tuple[str, ...], pairs: list[tuple[str, str]]) -> tuple[tuple[int, int], ...]:
    return tuple((names.index(a), names.index(b)) for a, b in pairs)


_MP_NAMES = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip

# MediaPipe's POSE_CONNECTIONS, by index.
_MP_BONES = (
    (0, 1), (1, 2), (2, 3), (3, 7), (0, 4), (4, 5), (5, 6), (6, 8), (9, 10), (11, 12), (11, 13),
    (13, 15), (15, 17), (15, 19), (15, 21), (17, 19), (12, 14), (14, 16), (16, 18), (16, 20),
    (16, 22), (18, 20), (11, 23), (12, 24), (23, 24), (23, 25), (24, 26), (25, 27), (26, 28),
    (27, 29), (28, 30), (29, 31), (30, 32), (27, 31), (28, 32),
)  # fmt: skip

MEDIAPIPE_33 = Skeleton(
    name="mediapipe33",
    joint_names=_MP_NAMES,
    dims=3,
    bones=_MP_BONES,
    left_right=_pairs_by_name(_MP_NAMES) + ((9, 10),),  # mouth_left / mouth_right
)

_PENN_NAMES = (
    "head", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
    "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip

#: Penn Action's 13 hand-annotated joints (2D). Note: in Penn's own annotation "left" appears to be
#: the person's right (see realdata README); we keep Penn's names as given.
PENN_13 = Skeleton(
    name="penn13",
    joint_names=_PENN_NAMES,
    dims=2,
    bones=_bones(
        _PENN_NAMES,
        [
            ("head", "left_shoulder"), ("head", "right_shoulder"),
            ("left_shoulder", "right_shoulder"), ("left_shoulder", "left_elbow"),
            ("left_elbow", "left_wrist"), ("right_shoulder", "right_elbow"),
            ("right_elbow", "right_wrist"), ("left_shoulder", "left_hip"),
            ("right_shoulder", "right_hip"), ("left_hip", "right_hip"), ("left_hip", "left_knee"),
            ("left_knee", "left_ankle"), ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
        ],
    ),  # fmt: skip
    left_right=_pairs_by_name(_PENN_NAMES),
)

_COCO_NAMES = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip

COCO_17 = Skeleton(
    name="coco17",
    joint_names=_COCO_NAMES,
    dims=2,
    bones=_bones(
        _COCO_NAMES,
        [
            ("nose", "left_eye"), ("nose", "right_eye"), ("left_eye", "left_ear"),
            ("right_eye", "right_ear"), ("left_shoulder", "right_shoulder"),
            ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
            ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"),
            ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip"),
            ("left_hip", "right_hip"), ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
            ("right_hip", "right_knee"), ("right_knee", "right_ankle"),
        ],
    ),  # fmt: skip
    left_right=_pairs_by_name(_COCO_NAMES),
)

_KINECT_NAMES = (
    "spine_base", "spine_mid", "neck", "head", "left_shoulder", "left_elbow", "left_wrist",
    "left_hand", "right_shoulder", "right_elbow", "right_wrist", "right_hand", "left_hip",
    "left_knee", "left_ankle", "left_foot", "right_hip", "right_knee", "right_ankle",
    "right_foot", "spine_shoulder", "left_hand_tip", "left_thumb", "right_hand_tip",
    "right_thumb",
)  # fmt: skip

#: Kinect v2 body tracking, 25 joints in the SDK's JointType order (3D, metres, camera space).
KINECT_V2_25 = Skeleton(
    name="kinect25",
    joint_names=_KINECT_NAMES,
    dims=3,
    bones=_bones(
        _KINECT_NAMES,
        [
            ("spine_base", "spine_mid"), ("spine_mid", "spine_shoulder"),
            ("spine_shoulder", "neck"),
            ("neck", "head"), ("spine_shoulder", "left_shoulder"), ("left_shoulder", "left_elbow"),
            ("left_elbow", "left_wrist"), ("left_wrist", "left_hand"),
            ("left_hand", "left_hand_tip"), ("left_wrist", "left_thumb"),
            ("spine_shoulder", "right_shoulder"), ("right_shoulder", "right_elbow"),
            ("right_elbow", "right_wrist"), ("right_wrist", "right_hand"),
            ("right_hand", "right_hand_tip"), ("right_wrist", "right_thumb"),
            ("spine_base", "left_hip"), ("left_hip", "left_knee"), ("left_knee", "left_ankle"),
            ("left_ankle", "left_foot"), ("spine_base", "right_hip"), ("right_hip", "right_knee"),
            ("right_knee", "right_ankle"), ("right_ankle", "right_foot"),
        ],
    ),  # fmt: skip
    left_right=_pairs_by_name(_KINECT_NAMES),
)

LAYOUTS: dict[str, Skeleton] = {
    s.name: s for s in (MEDIAPIPE_33, PENN_13, COCO_17, KINECT_V2_25)
}


def get_layout(name: str) -> Skeleton:
    """Look a layout up by name (``mediapipe33``, ``penn13``, ``coco17``, ``kinect25``)."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise KeyError(f"unknown skeleton layout {name!r}; known: {sorted(LAYOUTS)}") from None


def infer_layout(n_joints: int, has_z: bool) -> Skeleton:
    """Pick the layout that has ``n_joints`` joints (and depth when ``has_z``)."""
    for s in LAYOUTS.values():
        if s.n_joints == n_joints and (s.dims == 3) == has_z:
            return s
    for s in LAYOUTS.values():
        if s.n_joints == n_joints:
            return s
    raise ValueError(
        f"no known skeleton layout has {n_joints} joints; known: "
        + ", ".join(f"{s.name} ({s.n_joints})" for s in LAYOUTS.values())
    )
