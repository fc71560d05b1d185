"""Forward kinematics: anatomical joint angles over time -> segment poses -> landmarks.

Angles are in degrees, one array per angle (missing angles are 0 = the rest pose of
:mod:`repcoach.synth.body`). Conventions (positive direction):

* ``pelvis_pitch`` top of the pelvis tips forward, ``pelvis_roll`` its top tips toward the
  person's left, ``pelvis_yaw`` turns the person toward their left; root rotation
  ``Ry(yaw) Rx(pitch) Rz(-roll)``.
* ``trunk_flex`` forward flexion, ``trunk_lat`` bend toward the left, ``trunk_rot`` turn toward
  the left; shared 45 / 55 % between the abdomen (lumbar) and chest (thoracic) joints.
* ``neck_flex`` chin toward the chest.
* ``shoulder_flex_*`` arm forward, ``shoulder_abd_*`` arm sideways/up, ``shoulder_rot_*``
  external rotation (forearm turns up when the arm is abducted and the elbow bent),
  ``shoulder_hflex_*`` horizontal flexion (an abducted arm swings forward);
  ``elbow_flex_*``, ``wrist_flex_*``.
* ``hip_flex_*`` knee forward/up, ``hip_abd_*`` leg sideways, ``hip_rot_*`` external rotation
  (toes out), ``knee_flex_*`` heel toward buttock, ``ankle_pf_*`` toes down.

Joint rotation order for ball joints is ``Rz(abduction) Rx(flexion) Ry(axial rotation)``
(shoulders: ``Ry(horizontal flexion)`` first).
"""

from __future__ import annotations

import numpy as np

from repcoach.synth.body import PARENT, SEGMENTS, Body

ANGLE_NAMES: tuple[str, ...] = (
    "pelvis_pitch", "pelvis_roll", "pelvis_yaw", "trunk_flex", "trunk_lat", "trunk_rot",
    "neck_flex",
    *(f"{j}_{s}" for s in ("l", "r") for j in (
        "shoulder_flex", "shoulder_abd", "shoulder_rot", "shoulder_hflex", "elbow_flex",
        "wrist_flex",
        "hip_flex", "hip_abd", "hip_rot", "knee_flex", "ankle_pf",
    )),
)  # fmt: skip

_SPINE_SHARE = {"abdomen": 0.45, "chest": 0.55}


def rot_x(a: np.ndarray) -> np.ndarray:
    """``(N, 3, 3)`` rotations about x by ``a`` radians (y turns toward z)."""
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([o, z, z, z, c, -s, z, s, c], -1).reshape(*np.shape(a), 3, 3)


def rot_y(a: np.ndarray) -> np.ndarray:
    """``(N, 3, 3)`` rotations about y by ``a`` radians (z turns toward x)."""
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([c, z, s, z, o, z, -s, z, c], -1).reshape(*np.shape(a), 3, 3)


def rot_z(a: np.ndarray) -> np.ndarray:
    """``(N, 3, 3)`` rotations about z by ``a`` radians (x turns toward y)."""
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([c, -s, z, s, c, z, z, z, o], -1).reshape(*np.shape(a), 3, 3)


def local_rotations(
    angles: dict[str, np.ndarray], n: int
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Root rotation ``(n, 3, 3)`` and each segment's rotation relative to its parent."""
    unknown = set(angles) - set(ANGLE_NAMES)
    if unknown:
        raise KeyError(f"unknown joint angle(s) {sorted(unknown)}; known: {ANGLE_NAMES}")
    zero = np.zeros(n)

    def a(name: str, scale: float = 1.0) -> np.ndarray:
        return np.radians(np.broadcast_to(angles.get(name, zero), (n,))) * scale

    root = rot_y(a("pelvis_yaw")) @ rot_x(a("pelvis_pitch")) @ rot_z(-a("pelvis_roll"))
    eye = np.broadcast_to(np.eye(3), (n, 3, 3))
    local: dict[str, np.ndarray] = {"pelvis": eye}
    for seg, share in _SPINE_SHARE.items():
        local[seg] = (
            rot_y(a("trunk_rot", share))
            @ rot_x(a("trunk_flex", share))
            @ rot_z(-a("trunk_lat", share))
        )
    local["neck"] = rot_x(a("neck_flex"))
    local["head"] = eye
    for s, sign in (("l", 1.0), ("r", -1.0)):
        local[f"upperarm_{s}"] = (
            rot_y(-sign * a(f"shoulder_hflex_{s}"))
            @ rot_z(sign * a(f"shoulder_abd_{s}"))
            @ rot_x(-a(f"shoulder_flex_{s}"))
            @ rot_y(sign * a(f"shoulder_rot_{s}"))
        )
        local[f"forearm_{s}"] = rot_x(-a(f"elbow_flex_{s}"))
        local[f"hand_{s}"] = rot_x(-a(f"wrist_flex_{s}"))
        local[f"thigh_{s}"] = (
            rot_z(sign * a(f"hip_abd_{s}"))
            @ rot_x(-a(f"hip_flex_{s}"))
            @ rot_y(sign * a(f"hip_rot_{s}"))
        )
        local[f"shank_{s}"] = rot_x(a(f"knee_flex_{s}"))
        local[f"foot_{s}"] = rot_x(a(f"ankle_pf_{s}"))
    return root, local


def forward(
    body: Body, root_pos: np.ndarray, root_rot: np.ndarray, local: dict[str, np.ndarray]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """World origins ``(N, 3)`` and world-from-segment rotations ``(N, 3, 3)`` per segment."""
    origins: dict[str, np.ndarray] = {}
    rots: dict[str, np.ndarray] = {}
    for seg in SEGMENTS:
        parent = PARENT[seg]
        if parent is None:
            origins[seg] = np.asarray(root_pos, dtype=np.float64)
            rots[seg] = root_rot @ local[seg]
        else:
            origins[seg] = origins[parent] + rots[parent] @ body.offsets[seg]
            rots[seg] = rots[parent] @ local[seg]
    return origins, rots


def points_on(
    origins: dict[str, np.ndarray],
    rots: dict[str, np.ndarray],
    segments: tuple[str, ...] | list[str],
    offsets: np.ndarray,
) -> np.ndarray:
    """World positions ``(N, K, 3)`` of K points rigidly attached to the given segments."""
    order = {s: i for i, s in enumerate(dict.fromkeys(segments))}
    o = np.stack([origins[s] for s in order])  # (S, N, 3)
    r = np.stack([rots[s] for s in order])  # (S, N, 3, 3)
    idx = np.array([order[s] for s in segments])
    pts = o[idx] + np.einsum("knij,kj->kni", r[idx], np.asarray(offsets, dtype=np.float64))
    return pts.transpose(1, 0, 2)


def landmarks(body: Body, origins: dict, rots: dict) -> np.ndarray:
    """``(N, 33, 3)`` world positions of the MediaPipe landmarks."""
    return points_on(origins, rots, body.landmark_segment, body.landmark_offset)


def joints(body: Body, origins: dict, rots: dict) -> dict[str, np.ndarray]:
    """World positions ``(N, 3)`` of every named body joint."""
    names = list(body.joints)
    pts = points_on(
        origins,
        rots,
        [body.joints[n][0] for n in names],
        np.stack([body.joints[n][1] for n in names]),
    )
    return {n: pts[:, i] for i, n in enumerate(names)}
