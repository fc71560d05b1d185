"""Skeleton layouts: sizes, left/right pairs, mirror permutation, lookup."""

import pytest

from repcoach.skeleton import (
    COCO_17,
    KINECT_V2_25,
    LAYOUTS,
    MEDIAPIPE_33,
    PENN_13,
    get_layout,
    infer_layout,
)


@pytest.mark.parametrize(
    ("layout", "n", "dims", "features"),
    [
        (MEDIAPIPE_33, 33, 3, 99),
        (PENN_13, 13, 2, 26),
        (COCO_17, 17, 2, 34),
        (KINECT_V2_25, 25, 3, 75),
    ],
)
def test_layout_sizes(layout, n, dims, features):
    assert layout.n_joints == n
    assert layout.dims == dims
    assert layout.n_features == features


@pytest.mark.parametrize("layout", list(LAYOUTS.values()))
def test_left_right_pairs_name_mirrored_joints(layout):
    assert layout.left_right, "every layout has left/right pairs"
    for a, b in layout.left_right:
        na, nb = layout.joint_names[a], layout.joint_names[b]
        assert "left" in na and "right" in nb
        assert na.replace("left", "right") == nb


@pytest.mark.parametrize("layout", list(LAYOUTS.values()))
def test_mirror_permutation_is_an_involution(layout):
    perm = layout.mirror_permutation()
    assert sorted(perm) == list(range(layout.n_joints))
    assert [perm[p] for p in perm] == list(range(layout.n_joints))
    ls, rs = layout.index("left_shoulder"), layout.index("right_shoulder")
    assert perm[ls] == rs and perm[rs] == ls


def test_mediapipe_indices_match_mediapipe():
    # Spot-check against MediaPipe's PoseLandmark enum values.
    assert MEDIAPIPE_33.index("nose") == 0
    assert MEDIAPIPE_33.index("left_shoulder") == 11
    assert MEDIAPIPE_33.index("right_hip") == 24
    assert MEDIAPIPE_33.index("right_foot_index") == 32
    assert (11, 12) in MEDIAPIPE_33.bones


def test_lookup_and_inference():
    assert get_layout("penn13") is PENN_13
    assert infer_layout(33, True) is MEDIAPIPE_33
    assert infer_layout(13, False) is PENN_13
    assert infer_layout(25, True) is KINECT_V2_25
    with pytest.raises(KeyError, match="unknown skeleton layout"):
        get_layout("openpose")
    with pytest.raises(ValueError, match="no known skeleton layout has 7 joints"):
        infer_layout(7, False)
    with pytest.raises(KeyError, match="has no joint 'tail'"):
        MEDIAPIPE_33.index("tail")
